import { Type, type TObject, type TSchema } from '@sinclair/typebox';

/** One endpoint as the OpenAPI document describes it; controllers validate with the same schemas. */
export interface ApiRoute {
  method: 'get' | 'post' | 'delete';
  /** OpenAPI path under /api/v1, e.g. `/guests/{vm}/handshakes`. */
  path: string;
  summary: string;
  tag: 'fleet' | 'blacklist' | 'guests' | 'logs';
  /** `write`: needs a blacklist token; `read`: open unless MAGICPORT_API_READS=token. */
  auth: 'read' | 'write';
  pathParams?: TObject;
  query?: TObject;
  body?: TSchema;
  /** Body type of a non-JSON request (e.g. text/plain for a xenstore dump). */
  bodyMediaType?: string;
  response: TSchema;
  /** Non-JSON response media type (e.g. text/plain). */
  responseMediaType?: string;
  status?: number;
}

export const API_ROUTES: ApiRoute[] = [];

export function route<R extends ApiRoute>(definition: R): R {
  API_ROUTES.push(definition);
  return definition;
}

/** A page of rows with the cursor of the next one. */
export function pageOf<T extends TSchema>(item: T) {
  return Type.Object({
    items: Type.Array(item),
    nextCursor: Type.Union([Type.String(), Type.Null()], {
      description: 'pass as cursor for the next page; null on the last',
    }),
  });
}

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
