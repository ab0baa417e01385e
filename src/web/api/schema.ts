/**
 * The small subset of JSON Schema the API's routes are declared in. The same objects
 * validate requests here and appear verbatim in the OpenAPI document (openapi.ts); every
 * keyword in it is enforced (`assertEnforceable` refuses any other), so the document cannot
 * drift from what the server checks. `$ref` is not part of it.
 */
export interface Schema {
  type?:
    | 'object'
    | 'array'
    | 'string'
    | 'integer'
    | 'number'
    | 'boolean'
    | 'null'
    | readonly ('string' | 'integer' | 'number' | 'boolean' | 'null')[];
  title?: string;
  description?: string;
  properties?: Record<string, Schema>;
  required?: readonly string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  enum?: readonly (string | number | boolean)[];
  pattern?: string;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  format?: string;
  default?: unknown;
  oneOf?: readonly Schema[];
  nullable?: boolean;
  [extension: `x-${string}`]: unknown;
}

const patterns = new Map<string, RegExp>();
const compiled = (p: string): RegExp => {
  let re = patterns.get(p);
  if (!re) patterns.set(p, (re = new RegExp(p, 'u')));
  return re;
};

/** Record a problem; defineProperty keeps one at a key named __proto__ (assignment would set the prototype). */
export const put = (out: Record<string, string>, at: string, problem: string) =>
  Object.defineProperty(out, at, {
    value: problem,
    enumerable: true,
    writable: true,
    configurable: true,
  });

/** A value's JSON type as the schema's `type` names it (a whole number is `integer`). */
export const jsonTypeOf = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v;

const FORMATS: Record<string, (v: string) => boolean> = {
  'date-time': (v) =>
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$/.test(v) &&
    !Number.isNaN(Date.parse(v)),
  // A file: in a multipart body an upload, which the reader hands over as its name (see readInput).
  binary: () => true,
};

/** Every keyword `validate` checks; `schemaKeywordsCheck` refuses a schema that uses any other. */
export const ENFORCED = [
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'pattern',
  'maxLength',
  'minimum',
  'maximum',
  'format',
  'oneOf',
  'nullable',
] as const;
/** Keywords that only describe (no constraint to check). */
const DESCRIPTIVE = ['title', 'description', 'default'];

/**
 * Throw when `schema` (or one inside it) uses a keyword `validate` does not check, or a
 * format it does not know: what the document states, the server enforces.
 */
export function assertEnforceable(schema: Schema, at = '#'): void {
  for (const [k, v] of Object.entries(schema)) {
    if (k.startsWith('x-') || DESCRIPTIVE.includes(k)) continue;
    if (!(ENFORCED as readonly string[]).includes(k))
      throw new Error(`schema ${at}: "${k}" is documented but not enforced`);
    if (k === 'format' && !Object.hasOwn(FORMATS, v as string))
      throw new Error(`schema ${at}: format "${String(v)}" is not checked`);
  }
  for (const [n, p] of Object.entries(schema.properties ?? {}))
    assertEnforceable(p, `${at}/properties/${n}`);
  if (schema.items) assertEnforceable(schema.items, `${at}/items`);
  if (typeof schema.additionalProperties === 'object')
    assertEnforceable(schema.additionalProperties, `${at}/additionalProperties`);
  schema.oneOf?.forEach((s, i) => assertEnforceable(s, `${at}/oneOf/${i}`));
}

/** Whether `problems` (of `branch`) include a property whose schema is a constant: a one-value enum. */
function missesConstant(branch: Schema, problems: Record<string, string>, path: string): boolean {
  return Object.entries(branch.properties ?? {}).some(
    ([k, p]) => p.enum?.length === 1 && Object.hasOwn(problems, path ? `${path}.${k}` : k),
  );
}

/**
 * Check `value` against `schema`; returns a map of JSON path → problem (empty when
 * valid). `oneOf` holds when exactly one branch does; when none does (and the rest of the
 * schema holds), the problems of the branch meant are reported (see missesConstant).
 */
export function validate(
  schema: Schema,
  value: unknown,
  path = '',
  out: Record<string, string> = {},
): Record<string, string> {
  const at = path || 'body';
  if (value === null && schema.nullable) return out;
  if (schema.type) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    const t = jsonTypeOf(value);
    if (!types.includes(t) && !(t === 'integer' && types.includes('number'))) {
      put(out, at, `must be ${types.join(' or ')}, not ${t}`);
      return out;
    }
  }
  if (schema.enum && !schema.enum.includes(value as string))
    put(out, at, `must be one of ${schema.enum.join(', ')}`);
  if (typeof value === 'string') {
    if (schema.maxLength !== undefined && value.length > schema.maxLength)
      put(out, at, `is longer than ${schema.maxLength} characters`);
    else if (schema.pattern && !compiled(schema.pattern).test(value))
      put(out, at, 'is not in the expected format');
    else if (schema.format && FORMATS[schema.format] && !FORMATS[schema.format]!(value))
      put(out, at, `is not a ${schema.format}`);
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum)
      put(out, at, `must be at least ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum)
      put(out, at, `must be at most ${schema.maximum}`);
  }
  if (Array.isArray(value) && schema.items)
    value.forEach((v, i) => validate(schema.items!, v, `${path}[${i}]`, out));
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    for (const r of schema.required ?? [])
      if (!Object.hasOwn(obj, r)) put(out, path ? `${path}.${r}` : r, 'is required');
    for (const [k, v] of Object.entries(obj)) {
      const key = path ? `${path}.${k.slice(0, 60)}` : k.slice(0, 60);
      // Own properties only: a key named __proto__ or toString is unknown like any other.
      const prop =
        schema.properties && Object.hasOwn(schema.properties, k) ? schema.properties[k] : undefined;
      if (prop) validate(prop, v, key, out);
      else if (schema.additionalProperties === false)
        put(
          out,
          key,
          schema.title ? `is not a parameter of ${schema.title}` : 'is not a known property',
        );
      else if (typeof schema.additionalProperties === 'object')
        validate(schema.additionalProperties, v, key, out);
    }
  }
  if (schema.oneOf) {
    const results = schema.oneOf.map((s) => validate(s, value, path, {}));
    const passed = results.filter((r) => Object.keys(r).length === 0).length;
    if (passed === 0 && Object.keys(out).length === 0) {
      // The branch meant is the one whose constant (a one-value enum such as `type`) matches, then the one with fewest problems.
      const rank = (r: Record<string, string>, i: number) =>
        (missesConstant(schema.oneOf![i]!, r, path) ? 1e6 : 0) + Object.keys(r).length;
      let best = 0;
      results.forEach((r, i) => {
        if (rank(r, i) < rank(results[best]!, best)) best = i;
      });
      for (const [k, problem] of Object.entries(results[best]!)) put(out, k, problem);
    } else if (passed > 1) {
      put(
        out,
        at,
        `matches more than one of ${schema.oneOf.map((s, i) => s.title ?? i).join(', ')}`,
      );
    }
  }
  return out;
}

type Primitive<T> = T extends 'string'
  ? string
  : T extends 'integer' | 'number'
    ? number
    : T extends 'boolean'
      ? boolean
      : T extends 'null'
        ? null
        : T extends 'array'
          ? unknown[]
          : T extends 'object'
            ? Record<string, unknown>
            : never;
type Flat<T> = { [K in keyof T]: T[K] } & {};
type ObjectOf<P, R> = Flat<
  { -readonly [K in keyof P as K extends R ? K : never]: FromSchema<P[K]> } & {
    -readonly [K in keyof P as K extends R ? never : K]?: FromSchema<P[K]>;
  }
>;

/**
 * The TypeScript type of values a schema (declared `as const`) accepts, for checking
 * hand-written types such as the client's against the document (test/client-types.test.ts).
 */
export type FromSchema<S> =
  | (S extends { enum: readonly (infer E)[] }
      ? E
      : S extends { properties: infer P }
        ? ObjectOf<P, S extends { required: readonly (infer R)[] } ? R : never>
        : S extends { items: infer I }
          ? FromSchema<I>[]
          : S extends { type: readonly (infer U)[] }
            ? Primitive<U>
            : S extends { type: infer T }
              ? Primitive<T>
              : unknown)
  | (S extends { nullable: true } ? null : never);
