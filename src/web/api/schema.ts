/**
 * The small subset of JSON Schema the API's routes are declared in. The same objects
 * validate requests here and appear verbatim in the OpenAPI document (openapi.ts), so the
 * document cannot drift from what the server checks.
 */
export interface Schema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | 'null' | readonly ('string' | 'integer' | 'number' | 'boolean' | 'null')[];
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
  $ref?: string;
  [extension: `x-${string}`]: unknown;
}

const patterns = new Map<string, RegExp>();
const compiled = (p: string): RegExp => {
  let re = patterns.get(p);
  if (!re) patterns.set(p, (re = new RegExp(p, 'u')));
  return re;
};

/** Record a problem; defineProperty keeps one at a key named __proto__ (assignment would set the prototype). */
const put = (out: Record<string, string>, at: string, problem: string) => Object.defineProperty(out, at, { value: problem, enumerable: true, writable: true, configurable: true });

const typeOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v);

/**
 * Check `value` against `schema`; returns a map of JSON path → problem (empty when
 * valid). `$ref` and `oneOf` are documentation only here and are not followed.
 */
export function validate(schema: Schema, value: unknown, path = '', out: Record<string, string> = {}): Record<string, string> {
  const at = path || 'body';
  if (value === null && schema.nullable) return out;
  if (schema.type) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    const t = typeOf(value);
    if (!types.includes(t) && !(t === 'integer' && types.includes('number'))) {
      put(out, at, `must be ${types.join(' or ')}, not ${t}`);
      return out;
    }
  }
  if (schema.enum && !schema.enum.includes(value as string)) put(out, at, `must be one of ${schema.enum.join(', ')}`);
  if (typeof value === 'string') {
    if (schema.maxLength !== undefined && value.length > schema.maxLength) put(out, at, `is longer than ${schema.maxLength} characters`);
    else if (schema.pattern && !compiled(schema.pattern).test(value)) put(out, at, 'is not in the expected format');
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) put(out, at, `must be at least ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) put(out, at, `must be at most ${schema.maximum}`);
  }
  if (Array.isArray(value) && schema.items) value.forEach((v, i) => validate(schema.items!, v, `${path}[${i}]`, out));
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    for (const r of schema.required ?? []) if (!Object.hasOwn(obj, r)) put(out, path ? `${path}.${r}` : r, 'is required');
    for (const [k, v] of Object.entries(obj)) {
      const key = path ? `${path}.${k.slice(0, 60)}` : k.slice(0, 60);
      // Own properties only: a key named __proto__ or toString is unknown like any other.
      const prop = schema.properties && Object.hasOwn(schema.properties, k) ? schema.properties[k] : undefined;
      if (prop) validate(prop, v, key, out);
      else if (schema.additionalProperties === false) put(out, key, 'is not a known property');
      else if (typeof schema.additionalProperties === 'object') validate(schema.additionalProperties, v, key, out);
    }
  }
  return out;
}
