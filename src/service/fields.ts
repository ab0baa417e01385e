import type { Field } from './types.js';

/** The properties each kind of field may have, beside label, help, required and requiredNote. */
const PROPS: Record<Field['kind'], readonly string[]> = {
  integer: ['min', 'max', 'default'],
  number: ['min', 'max', 'default'],
  string: ['maxLength', 'pattern', 'multiline', 'default'],
  choice: ['choices', 'default'],
  boolean: ['default'],
  email: ['default'],
  file: ['maxBytes', 'accept'],
};

/** A string field's length limit when it declares none. */
export const STRING_MAX_LENGTH = 1000;

/** A string field's length limit: its own, else STRING_MAX_LENGTH. */
export const maxLengthOf = (f: Extract<Field, { kind: 'string' }>): number =>
  f.maxLength ?? STRING_MAX_LENGTH;

/**
 * The JSON types an API body may give each kind of field's value (the form sends text
 * only): a number for a number, true/false for a boolean, text for any. The API checks a
 * value's type by this and its OpenAPI document states it (web/api/submission.ts).
 */
export const JSON_TYPES = {
  integer: ['integer', 'string'],
  number: ['number', 'string'],
  boolean: ['boolean', 'string'],
  string: ['string'],
  choice: ['string'],
  email: ['string'],
  file: ['string'],
} as const satisfies Record<Field['kind'], readonly string[]>;

const describe = (v: unknown): string =>
  typeof v === 'string'
    ? `the string ${JSON.stringify(v.slice(0, 60))}`
    : v === null
      ? 'null'
      : Array.isArray(v)
        ? 'an array'
        : `${typeof v} ${String(v).slice(0, 60)}`;

/**
 * Check one field spec as the types declare it, for services written in JavaScript or
 * cast past the types: a wrong spec (a string `pattern`, a typo like `maxlength`) fails
 * when the service loads, not as a 500 at the first submission. Throws
 * `field "NAME": RULE`; the caller adds the job type and the module.
 */
export function checkFieldSpec(name: string, f: Field): void {
  const fail = (rule: string): never => {
    throw new Error(`field "${name}": ${rule}`);
  };
  if (typeof f !== 'object' || f === null)
    fail(`must be a field spec such as field.string(), not ${describe(f)}`);
  const spec = f as unknown as Record<string, unknown>;
  const kind = spec.kind as Field['kind'];
  if (!Object.hasOwn(PROPS, String(kind)))
    fail(`kind must be one of ${Object.keys(PROPS).join(', ')}, not ${describe(kind)}`);
  const known = ['kind', 'label', 'help', 'required', 'requiredNote', ...PROPS[kind]];
  for (const key of Object.keys(spec)) {
    if (!known.includes(key))
      fail(`${key} is not a property of a ${kind} field; it may have ${known.slice(1).join(', ')}`);
  }
  const is = (key: string, ok: (v: unknown) => boolean, what: string) => {
    if (spec[key] !== undefined && !ok(spec[key]))
      fail(`${key} must be ${what}, not ${describe(spec[key])}`);
  };
  const finite = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  const count = (v: unknown) => Number.isSafeInteger(v) && (v as number) > 0;
  const strings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');
  is('label', (v) => typeof v === 'string', 'a string');
  is('help', (v) => typeof v === 'string', 'a string');
  is('required', (v) => typeof v === 'boolean', 'true or false');
  is('requiredNote', (v) => typeof v === 'string', 'a string');
  if (spec.requiredNote !== undefined && spec.required !== false)
    fail('requiredNote is for a field that is not required by itself: give it required: false');
  switch (kind) {
    case 'integer':
    case 'number':
      for (const k of ['min', 'max', 'default'])
        is(
          k,
          kind === 'integer' ? Number.isSafeInteger : finite,
          kind === 'integer' ? 'a whole number' : 'a finite number',
        );
      if (typeof spec.min === 'number' && typeof spec.max === 'number' && spec.min > spec.max)
        fail(`min (${spec.min}) must not be above max (${spec.max})`);
      break;
    case 'string':
      is('maxLength', count, 'a whole number ≥ 1');
      is('pattern', (v) => v instanceof RegExp, 'a RegExp (such as /^[A-Z]+$/)');
      is('multiline', (v) => typeof v === 'boolean', 'true or false');
      is('default', (v) => typeof v === 'string', 'a string');
      break;
    case 'choice':
      is('choices', strings, 'an array of strings');
      is('default', (v) => typeof v === 'string', 'a string');
      break;
    case 'boolean':
      is('default', (v) => typeof v === 'boolean', 'true or false');
      break;
    case 'email':
      is('default', (v) => typeof v === 'string', 'a string');
      break;
    case 'file':
      is('accept', strings, 'an array of strings');
      break;
  }
}
