import { InputError } from '../errors.js';
import { maxLengthOf } from './fields.js';
import type { Field, JobType, Service } from './types.js';

/** An uploaded file as the web layer hands it over. */
export interface Upload {
  filename: string;
  type: string;
  data: Uint8Array;
}

/** Validated submission: inputs as strings, uploads with safe stored names. */
export interface ValidInput {
  type: JobType;
  email: string;
  inputs: Record<string, string>;
  files: { name: string; data: Uint8Array }[];
}

const EMAIL_RE =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/** The longest email address taken (RFC 5321's path limit). */
export const EMAIL_MAX_LENGTH = 254;

/** Check an email address (no display name, no CR/LF, at most EMAIL_MAX_LENGTH characters). */
export function checkEmail(v: string): string | null {
  if (v.length > EMAIL_MAX_LENGTH) return `is longer than ${EMAIL_MAX_LENGTH} characters`;
  return EMAIL_RE.test(v) ? null : `"${v.slice(0, 80)}" is not a valid email address`;
}

/** Pick the job type named `name` (or the only/first one when name is empty). */
export function jobTypeOf(service: Service, name: string | undefined): JobType | null {
  if (!name) return service.jobTypes[0] ?? null;
  return service.jobTypes.find((t) => t.name === name) ?? null;
}

/**
 * Validate a raw submission against the service's fields. Every problem is collected
 * and thrown as one InputError (field → message), so the form can show each beside its
 * field. Unknown fields are refused: a typo must not silently drop a parameter.
 */
export function validateSubmission(
  service: Service,
  raw: Record<string, string | Upload>,
  ignore: readonly string[] = [],
): ValidInput {
  // Keys come from the user: only own properties count (a field named toString is unknown).
  const own = (k: string) => (Object.hasOwn(raw, k) ? raw[k] : undefined);
  const errors: Record<string, string> = {};
  const rawType = own('type');
  const typeName = typeof rawType === 'string' ? rawType : undefined;
  const type = jobTypeOf(service, typeName);
  if (!type)
    throw new InputError({
      type: `there is no job type "${String(typeName).slice(0, 40)}"; choose one of ${service.jobTypes.map((t) => t.name).join(', ')}`,
    });
  const inputs: Record<string, string> = {};
  const files: ValidInput['files'] = [];
  for (const [name, field] of Object.entries(type.fields)) {
    const value = own(name);
    const err =
      field.kind === 'file'
        ? checkFile(name, field, value, files, inputs)
        : checkValue(name, field, value, inputs);
    if (err) errors[name] = err;
  }
  let email = '';
  const rawEmail = own('email');
  if (typeof rawEmail === 'string' && rawEmail.trim() !== '') {
    email = rawEmail.trim();
    const err = checkEmail(email);
    if (err) errors.email = err;
  } else if (rawEmail !== undefined && typeof rawEmail !== 'string') {
    errors.email = 'must be text, not a file';
  } else if (service.email === 'required') {
    errors.email = 'is required: the results link is sent there';
  }
  for (const key of Object.keys(raw)) {
    if (
      key === 'type' ||
      key === 'email' ||
      ignore.includes(key) ||
      Object.hasOwn(type.fields, key)
    )
      continue;
    // defineProperty: a message for a field named __proto__ is kept (assignment would set the prototype).
    Object.defineProperty(errors, key.slice(0, 60), {
      value: `is not a parameter of ${type.name}`,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  if (Object.keys(errors).length === 0 && type.validate)
    Object.assign(errors, type.validate(inputs) ?? {});
  if (Object.keys(errors).length) {
    const err = new InputError(errors);
    // An upload over its field's limit is answered 413 (Content Too Large), like a body over the request limit.
    if (Object.values(errors).some((m) => m.startsWith(TOO_LARGE))) err.status = 413;
    throw err;
  }
  return { type, email, inputs, files };
}

function checkValue(
  name: string,
  field: Exclude<Field, { kind: 'file' }>,
  value: string | Upload | undefined,
  out: Record<string, string>,
): string | null {
  if (value !== undefined && typeof value !== 'string') return 'must be text, not a file';
  let v = (value ?? '').trim();
  if (v === '' && field.kind === 'boolean') v = field.default ? 'true' : 'false';
  if (v === '' && field.default !== undefined && field.kind !== 'boolean')
    v = String(field.default);
  if (v === '') {
    if (field.required === false) {
      out[name] = '';
      return null;
    }
    return 'is required';
  }
  if (v.includes('\0')) return 'must not contain a NUL character';
  switch (field.kind) {
    case 'integer': {
      if (!/^[+-]?\d{1,15}$/.test(v))
        return `must be a whole number (such as 42), not "${v.slice(0, 40)}"`;
      const n = Number(v);
      if (field.min !== undefined && n < field.min) return `must be at least ${field.min}`;
      if (field.max !== undefined && n > field.max) return `must be at most ${field.max}`;
      out[name] = String(n);
      return null;
    }
    case 'number': {
      if (
        !/^[+-]?(\d{1,15}(\.\d{0,15})?|\.\d{1,15})([eE][+-]?\d{1,3})?$/.test(v) ||
        !Number.isFinite(Number(v))
      )
        return `must be a number (such as 2.5), not "${v.slice(0, 40)}"`;
      const n = Number(v);
      if (field.min !== undefined && n < field.min) return `must be at least ${field.min}`;
      if (field.max !== undefined && n > field.max) return `must be at most ${field.max}`;
      out[name] = v;
      return null;
    }
    case 'string': {
      const max = maxLengthOf(field);
      if (v.length > max) return `is ${v.length} characters long; the limit is ${max}`;
      if (!field.multiline && /[\r\n]/.test(v)) return 'must be a single line';
      if (field.pattern && !field.pattern.test(v)) return 'is not in the expected format';
      out[name] = v;
      return null;
    }
    case 'choice':
      if (!field.choices.includes(v)) return `must be one of ${field.choices.join(', ')}`;
      out[name] = v;
      return null;
    case 'boolean':
      if (!/^(true|false|on|off|1|0|yes|no)$/i.test(v)) return 'must be true or false';
      out[name] = /^(true|on|1|yes)$/i.test(v) ? 'true' : 'false';
      return null;
    case 'email': {
      const err = checkEmail(v);
      if (err) return err;
      out[name] = v;
      return null;
    }
  }
}

function checkFile(
  name: string,
  field: Extract<Field, { kind: 'file' }>,
  value: string | Upload | undefined,
  files: ValidInput['files'],
  out: Record<string, string>,
): string | null {
  if (value === undefined || typeof value === 'string' || value.data.byteLength === 0) {
    if (field.required === false) {
      out[name] = '';
      return null;
    }
    return typeof value === 'string' && value !== ''
      ? 'must be an uploaded file'
      : 'is required: choose a file';
  }
  if (value.data.byteLength > field.maxBytes)
    return `${TOO_LARGE} ${value.data.byteLength} bytes; the limit is ${field.maxBytes}`;
  const safe = safeFileName(value.filename);
  if (
    field.accept &&
    !field.accept.some((a) => safe.toLowerCase().endsWith(a.toLowerCase()) || value.type === a)
  ) {
    return `must be one of these types: ${field.accept.join(', ')}`;
  }
  const stored = `input-${name}-${safe}`;
  files.push({ name: stored, data: value.data });
  out[name] = stored;
  return null;
}

const TOO_LARGE = 'is too large:';

/** Room for the text fields and multipart framing of one submission, on top of its files. */
export const FORM_OVERHEAD_BYTES = 1024 * 1024;

/**
 * The largest request body a submission to `service` can need: over its job types, the
 * largest total of file limits plus 4 bytes (UTF-8) per character of string limits, plus
 * FORM_OVERHEAD_BYTES. The web layer's body limit; a bigger request is refused (413)
 * before any of it is stored.
 */
export function maxSubmissionBytes(service: Service): number {
  let most = 0;
  for (const t of service.jobTypes) {
    let sum = 0;
    for (const f of Object.values(t.fields)) {
      if (f.kind === 'file') sum += f.maxBytes;
      else if (f.kind === 'string') sum += 4 * maxLengthOf(f);
    }
    most = Math.max(most, sum);
  }
  return most + FORM_OVERHEAD_BYTES;
}

/**
 * A safe file name from whatever a browser sent: the last path segment, NFKC-normalised
 * (so look-alike slashes and dots fold), only [A-Za-z0-9._-], no leading dot, ≤ 100 chars.
 */
export function safeFileName(name: string): string {
  const base = name.normalize('NFKC').replace(/\0/g, '').split(/[\\/]/).pop() ?? '';
  const cleaned = base
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._]+/, '')
    .slice(-100);
  return cleaned === '' ? 'upload' : cleaned;
}
