/**
 * A submission to POST /api/jobs: its OpenAPI schema and its check, both derived from the
 * field rules (service/fields.ts: each kind's JSON types and limits; service/validate.ts: the
 * check of each value, the same the form gets). The server checks a body once, here, without
 * the generic schema validator; the schema documents that check, and shapeProblems answers
 * what `validate(submitSchema(service), body)` would (test/api-submission.test.ts), but for
 * one case: it always reads the named (or first) job type's parameters, where the generic
 * `oneOf` could pick another type's branch, and blame `type`, when a one-choice field held a
 * wrong value.
 */
import { InputError } from '../../errors.js';
import { JSON_TYPES, maxLengthOf } from '../../service/fields.js';
import type { Field, Service } from '../../service/types.js';
import {
  EMAIL_MAX_LENGTH,
  jobTypeOf,
  type Upload,
  type ValidInput,
  validateSubmission,
} from '../../service/validate.js';
import { checkDepth } from '../body.js';
import { jsonTypeOf, put, type Schema } from './schema.js';

/** The longest `after`: a job id is at most 40 consonants. */
const AFTER_MAX_LENGTH = 40;
/** What a parameter's value may be in a JSON body, whatever its field (a value's own rules come after). */
const SCALARS = ['string', 'number', 'boolean'] as const;
/** What a bulk element says when it names `after`. */
const BULK_AFTER = 'cannot be used in a bulk request; submit that job alone';

/** A submission's `email` (checked as an address, after trimming, unless empty). */
const Email: Schema = {
  type: 'string',
  maxLength: EMAIL_MAX_LENGTH,
  description:
    'Where the results link is sent; empty or absent: nowhere (unless the service requires one).',
};

/** A submission's `after`: the job waits for that job to complete, and fails if it fails. */
const After: Schema = {
  type: 'string',
  maxLength: AFTER_MAX_LENGTH,
  description:
    'Id of a job this one waits for: it starts once that job has completed, and fails (naming it) if it fails.',
};

/** Whether a field must be given: required, without a default (a boolean defaults to false). */
const mustGive = (f: Field) =>
  f.required !== false && !('default' in f && f.default !== undefined) && f.kind !== 'boolean';

/** JSON Schema of one field's value in a JSON submission, from its rules. */
function fieldSchema(name: string, f: Field): Schema {
  const types = JSON_TYPES[f.kind];
  const d: Schema = {
    description: f.label ?? name,
    type: types.length === 1 ? types[0] : [...types],
  };
  switch (f.kind) {
    case 'integer':
    case 'number':
      return {
        ...d,
        ...(f.min !== undefined ? { minimum: f.min } : {}),
        ...(f.max !== undefined ? { maximum: f.max } : {}),
      };
    case 'choice':
      return { ...d, enum: [...f.choices] };
    case 'file':
      return {
        ...d,
        format: 'binary',
        description: `${d.description} (multipart/form-data only; at most ${f.maxBytes} bytes)`,
      };
    case 'string':
      return { ...d, maxLength: maxLengthOf(f) };
    default:
      return d;
  }
}

/**
 * The body of POST /api/jobs for `service`: a flat object like the HTML form (`type`,
 * `email`, `after`, then the job type's parameters); `oneOf` gives each job type's
 * parameters (exactly one must hold).
 */
export function submitSchema(service: Service): Schema {
  return {
    type: 'object',
    additionalProperties: { type: [...SCALARS] },
    properties: {
      type: {
        type: 'string',
        enum: service.jobTypes.map((t) => t.name),
        description: 'The job type; default: the first.',
      },
      email: Email,
      after: After,
    },
    oneOf: service.jobTypes.map((t, i): Schema => ({
      type: 'object',
      title: t.name,
      // `type` may be left out for the first job type, which is the default.
      required: [
        ...(i === 0 ? [] : ['type']),
        ...Object.entries(t.fields)
          .filter(([, f]) => mustGive(f))
          .map(([n]) => n),
      ],
      properties: {
        type: { type: 'string', enum: [t.name] },
        email: Email,
        after: After,
        ...Object.fromEntries(Object.entries(t.fields).map(([n, f]) => [n, fieldSchema(n, f)])),
      },
      additionalProperties: false,
    })),
  };
}

const isUpload = (v: unknown): v is Upload =>
  typeof v === 'object' && v !== null && (v as Upload).data instanceof Uint8Array;

/** A JSON type's problem: `v` is not one of `types` (an integer is a number too). */
function notOfType(v: unknown, types: readonly string[]): string | null {
  const t = jsonTypeOf(v);
  return types.includes(t) || (t === 'integer' && types.includes('number'))
    ? null
    : `must be ${types.join(' or ')}, not ${t}`;
}

/** What the document says of text limited to `max` characters. */
const text = (v: unknown, max: number) =>
  notOfType(v, ['string']) ??
  ((v as string).length > max ? `is longer than ${max} characters` : null);

/** What a field's document says of its value `v`, a JSON scalar. */
function fieldProblem(f: Field, v: unknown): string | null {
  const wrong = notOfType(v, JSON_TYPES[f.kind]);
  if (wrong) return wrong;
  if (f.kind === 'choice' && !f.choices.includes(v as string))
    return `must be one of ${f.choices.join(', ')}`;
  if (f.kind === 'string') return text(v, maxLengthOf(f));
  if ((f.kind === 'integer' || f.kind === 'number') && typeof v === 'number') {
    if (f.max !== undefined && v > f.max) return `must be at most ${f.max}`;
    if (f.min !== undefined && v < f.min) return `must be at least ${f.min}`;
  }
  return null;
}

/**
 * The problems of a body's shape, as its document states them: `type`, `email` and `after`
 * as text within their limits and every other value a JSON scalar; then, once that holds, the
 * named (or first) job type's parameters: each given one of its JSON types, within its limits
 * and choices, every required one present and no other. An upload is its file name here.
 */
export function shapeProblems(service: Service, body: object): Record<string, string> {
  const out: Record<string, string> = {};
  const entries = Object.entries(body).map(([k, v]): [string, unknown] => [
    k,
    isUpload(v) ? v.filename : v,
  ]);
  const names = service.jobTypes.map((t) => t.name);
  for (const [k, v] of entries) {
    const problem =
      k === 'type'
        ? (notOfType(v, ['string']) ??
          (names.includes(v as string) ? null : `must be one of ${names.join(', ')}`))
        : k === 'email'
          ? text(v, EMAIL_MAX_LENGTH)
          : k === 'after'
            ? text(v, AFTER_MAX_LENGTH)
            : notOfType(v, SCALARS);
    if (problem) put(out, k.slice(0, 60), problem);
  }
  if (Object.keys(out).length) return out;
  const given = Object.hasOwn(body, 'type') ? (body as { type: string }).type : undefined;
  const type = jobTypeOf(service, given)!;
  for (const [n, f] of Object.entries(type.fields))
    if (mustGive(f) && !Object.hasOwn(body, n)) put(out, n, 'is required');
  for (const [k, v] of entries) {
    if (k === 'type' || k === 'email' || k === 'after') continue;
    const problem = Object.hasOwn(type.fields, k)
      ? fieldProblem(type.fields[k]!, v)
      : `is not a parameter of ${type.name}`;
    if (problem) put(out, k.slice(0, 60), problem);
  }
  return out;
}

/**
 * Check one submission to the API, as sent (a parsed JSON value, or the fields of a form with
 * its uploads), once: its shape (shapeProblems) and its values by the field rules
 * (validateSubmission, which sees each value as text). Throws one InputError with every
 * problem, a value's own rule winning over its shape's at the same key, and 413 when an
 * upload is over its limit. `bulk`: an element of a bulk request, which may not use `after`.
 * Returns the valid input and the `after` given, if any.
 */
export function validateApiSubmission(
  service: Service,
  body: unknown,
  { bulk = false } = {},
): { valid: ValidInput; after: unknown } {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new InputError({ body: `must be object, not ${jsonTypeOf(body)}` });
  // String() below walks an array or object it is given: only ever one of bounded depth.
  checkDepth(body);
  const shape = shapeProblems(service, body);
  const fine = Object.keys(shape).length === 0;
  if (bulk && fine && Object.hasOwn(body, 'after')) throw new InputError({ after: BULK_AFTER });
  // The values as text, as the form sends them (a null-prototype object: every key is data).
  const values: Record<string, string | Upload> = Object.create(null);
  for (const [k, v] of Object.entries(body))
    if (k !== 'after') values[k] = isUpload(v) ? v : String(v);
  let valid: ValidInput;
  try {
    valid = validateSubmission(service, values);
  } catch (err) {
    if (!(err instanceof InputError) || fine) throw err;
    const both = new InputError({ ...shape, ...err.fields });
    both.status = err.status;
    throw both;
  }
  if (!fine) throw new InputError(shape);
  return { valid, after: (body as { after?: unknown }).after };
}
