import { Kind, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';

/** A breach at one place of an event: `path` is a JSON pointer (`/data/port`). */
export interface FieldError {
  path: string;
  reason: string;
}

/**
 * A compiled schema: `test` is the hot path (a generated function, no allocation on success);
 * `explain` runs only on failure and names the first breach precisely (it becomes a DLQ reason).
 * TypeBox's compiler won over Ajv in bench/events.bench.ts on the same schemas.
 */
export interface SchemaCheck {
  test(value: unknown): boolean;
  explain(value: unknown): FieldError;
}

export function compileSchemaCheck(schema: TSchema): SchemaCheck {
  const compiled = TypeCompiler.Compile(schema);
  return {
    test: (value) => compiled.Check(value),
    explain: (value) => {
      const first = compiled.Errors(value).First();
      return first ? describeError(first) : { path: '', reason: 'does not match its schema' };
    },
  };
}

export function formatFieldError(error: FieldError): string {
  return `${error.path || '/'}: ${error.reason}`;
}

interface Breach {
  path: string;
  expected: string;
  /** Whether the offending value is worth quoting (not for a missing or an extra property). */
  quote: boolean;
  value: unknown;
}

function describeError(error: ValueError): FieldError {
  const found = breachOf(error);
  const reason = found.quote ? `${found.expected}, got ${preview(found.value)}` : found.expected;
  return { path: found.path, reason };
}

const WRONG_TYPE = new Set([
  ValueErrorType.Integer,
  ValueErrorType.Number,
  ValueErrorType.String,
  ValueErrorType.Boolean,
  ValueErrorType.Object,
  ValueErrorType.Array,
]);

function breachOf(error: ValueError): Breach {
  const at = { path: error.path, value: error.value };
  switch (error.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return { ...at, expected: 'is required', quote: false };
    case ValueErrorType.ObjectAdditionalProperties:
      return { ...at, expected: 'is not allowed', quote: false };
    case ValueErrorType.Union:
      return unionBreach(error);
    case ValueErrorType.StringPattern:
      // A regex is no reason a person can act on; the schema's description says what was meant.
      return {
        ...at,
        expected: `Expected ${error.schema.description ?? error.message}`,
        quote: true,
      };
    default:
      return { ...at, expected: error.message, quote: true };
  }
}

/** Nullable fields fail as unions: a non-null value is explained by the other variant's breach. */
function unionBreach(error: ValueError): Breach {
  const variants = (error.schema.anyOf ?? []) as TSchema[];
  const at = { path: error.path, value: error.value, quote: true };
  const nullAt = variants.findIndex((variant) => variant[Kind] === 'Null');
  if (variants.length === 2 && nullAt >= 0 && error.value !== null) {
    const innerError = error.errors[1 - nullAt]?.First();
    if (innerError) {
      const inner = breachOf(innerError);
      const wrongType = inner.path === error.path && WRONG_TYPE.has(innerError.type);
      return wrongType ? { ...inner, expected: `${inner.expected} or null` } : inner;
    }
  }
  if (variants.every((variant) => variant[Kind] === 'Literal')) {
    const allowed = variants.map((variant) => JSON.stringify(variant.const)).join(', ');
    return { ...at, expected: `Expected one of ${allowed}` };
  }
  return { ...at, expected: error.message };
}

/** Short JSON rendering of an offending value: reasons end up in Kafka headers. */
export function preview(value: unknown): string {
  const json = value === undefined ? 'undefined' : JSON.stringify(value);
  return json.length > 40 ? `${json.slice(0, 37)}...` : json;
}
