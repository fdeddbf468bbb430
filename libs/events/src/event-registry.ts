import type { TSchema } from '@sinclair/typebox';
import { envelopeSchema, type EnvelopeKind } from './envelope';
import { compileSchemaCheck, type FieldError, type SchemaCheck } from './schema-check';

/**
 * Readers accept every version ever written: each event type lists all its versions, each with
 * the schema of `data` as it was written and an upcast straight to the current version.
 * Adding v2 of a type = add `2: { data, upcast: identity }`, give v1 an upcast, bump `current`.
 */
export interface EventVersionSpec {
  /** Schema of `data` as written at this version. */
  data: TSchema;
  /** Cross-field rules a schema cannot state; returns the first breach (path from the event root). */
  refine?: (data: never) => FieldError | null;
  /** Turns valid data of this version into data of the current version; omit for the current one. */
  upcast?: (data: never) => unknown;
}

export interface EventKindSpec {
  type: string;
  envelope: EnvelopeKind;
  current: number;
  versions: Readonly<Record<number, EventVersionSpec>>;
}

export interface CompiledVersion {
  /** The whole event at this version: envelope + data. */
  check: SchemaCheck;
  refine: ((data: unknown) => FieldError | null) | null;
  upcast: ((data: unknown) => unknown) | null;
}

export interface CompiledKind {
  type: string;
  envelope: EnvelopeKind;
  current: number;
  versions: ReadonlyMap<number, CompiledVersion>;
}

export type EventRegistry = ReadonlyMap<string, CompiledKind>;

export function createEventRegistry(kinds: readonly EventKindSpec[]): EventRegistry {
  const registry = new Map<string, CompiledKind>();
  for (const kind of kinds) {
    if (registry.has(kind.type)) throw new Error(`event type ${kind.type} is registered twice`);
    registry.set(kind.type, compileKind(kind));
  }
  return registry;
}

function compileKind(kind: EventKindSpec): CompiledKind {
  const versions = new Map<number, CompiledVersion>();
  for (const [key, spec] of Object.entries(kind.versions)) {
    const v = Number(key);
    if (v !== kind.current && !spec.upcast) {
      throw new Error(`${kind.type} v${v} is not current (v${kind.current}) and has no upcast`);
    }
    versions.set(v, {
      check: compileSchemaCheck(envelopeSchema(kind.envelope, kind.type, v, spec.data)),
      refine: (spec.refine as CompiledVersion['refine']) ?? null,
      upcast: v === kind.current ? null : (spec.upcast as CompiledVersion['upcast']),
    });
  }
  if (!versions.has(kind.current)) {
    throw new Error(`${kind.type} has no schema for its current version v${kind.current}`);
  }
  return { type: kind.type, envelope: kind.envelope, current: kind.current, versions };
}
