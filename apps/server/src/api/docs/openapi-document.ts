import type { TObject, TSchema } from '@sinclair/typebox';
import { API_ROUTES, type ApiRoute } from '../api-route';

const PROBLEM = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string', description: 'what was wrong and what to do' },
    instance: { type: 'string' },
    parameter: { type: 'string' },
    code: { type: 'string' },
  },
};

/** JSON Schema without TypeBox's symbol keys (JSON.stringify drops them; this keeps objects plain). */
const plain = (schema: TSchema): object => JSON.parse(JSON.stringify(schema)) as object;

function parameters(route: ApiRoute) {
  const list: object[] = [];
  const add = (object: TObject | undefined, where: 'path' | 'query') => {
    if (!object) return;
    const required = new Set(object.required ?? []);
    for (const [name, schema] of Object.entries(object.properties)) {
      list.push({
        name,
        in: where,
        required: where === 'path' || required.has(name),
        description: (schema as { description?: string }).description,
        schema: plain(schema),
      });
    }
  };
  add(route.pathParams, 'path');
  add(route.query, 'query');
  return list;
}

function operation(route: ApiRoute) {
  const problem = (description: string) => ({
    description,
    content: { 'application/problem+json': { schema: PROBLEM } },
  });
  const responses: Record<string, object> = {
    [String(route.status ?? 200)]: {
      description: 'OK',
      content: {
        [route.responseMediaType ?? 'application/json']: { schema: plain(route.response) },
      },
    },
    '400': problem('a parameter is invalid'),
    '503': problem(
      'ClickHouse or Kafka unavailable, or the query needed more memory than its limit',
    ),
    '504': problem('the query ran past its time limit'),
  };
  if (route.auth === 'write') {
    responses['401'] = problem('no bearer token, or one this server does not know');
    responses['409'] = problem('the change conflicts with the blacklist as it stands');
  }
  if (route.path.includes('{vm}')) responses['404'] = problem('no such guest, boot or handshake');
  return {
    operationId: `${route.method}${route.path.replace(/[{}]/g, '').replace(/(^|[/-])(\w)/g, (_, __, c: string) => c.toUpperCase())}`,
    summary: route.summary,
    tags: [route.tag],
    parameters: parameters(route),
    ...(route.body
      ? {
          requestBody: {
            required: true,
            content: { [route.bodyMediaType ?? 'application/json']: { schema: plain(route.body) } },
          },
        }
      : {}),
    ...(route.auth === 'write' ? { security: [{ bearer: [] }] } : {}),
    responses,
  };
}

/** The OpenAPI 3.1 document of /api/v1, built from the same TypeBox schemas the controllers check. */
export function openApiDocument(version: string): object {
  const paths: Record<string, Record<string, object>> = {};
  for (const route of API_ROUTES) {
    const path = `/api/v1${route.path}`;
    paths[path] = { ...paths[path], [route.method]: operation(route) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'magicport API',
      version,
      description:
        'Fleet PV driver builds, blacklist management and hit audit, handshake replay and guest logs. Errors are application/problem+json.',
    },
    servers: [{ url: '/' }],
    tags: [{ name: 'fleet' }, { name: 'blacklist' }, { name: 'guests' }, { name: 'logs' }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    paths,
  };
}
