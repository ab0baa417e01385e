/**
 * The API a service author uses. A service module's default export is `defineService({...})`:
 *
 *   export default defineService({
 *     name: 'slowdiv', title: 'Slow division',
 *     jobTypes: [{ name: 'divide', fields: { x: field.integer(), y: field.integer() },
 *                  run: ({ inputs }) => ['./slow_div', inputs.x!, inputs.y!] }],
 *   });
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { InputError } from '../errors.js';
import { checkFieldSpec } from './fields.js';
import type { Field, JobType, Service } from './types.js';
import { validateSubmission } from './validate.js';

export type * from './types.js';
export { escapeHtml } from './render.js';
export type { ResultTemplate } from './render.js';

type Opts<K extends Field['kind']> = Omit<Extract<Field, { kind: K }>, 'kind'>;

/** Field constructors: `field.integer({ label: 'x', min: 0 })` and so on. */
export const field = {
  integer: (o: Opts<'integer'> = {}): Field => ({ kind: 'integer', ...o }),
  number: (o: Opts<'number'> = {}): Field => ({ kind: 'number', ...o }),
  string: (o: Opts<'string'> = {}): Field => ({ kind: 'string', ...o }),
  choice: (choices: readonly string[], o: Omit<Opts<'choice'>, 'choices'> = {}): Field => ({
    kind: 'choice',
    choices,
    ...o,
  }),
  boolean: (o: Opts<'boolean'> = {}): Field => ({ kind: 'boolean', required: false, ...o }),
  email: (o: Opts<'email'> = {}): Field => ({ kind: 'email', ...o }),
  file: (o: Opts<'file'>): Field => ({ kind: 'file', ...o }),
};

/** Check a service definition and return it; throws naming the job type and field at fault. */
export function defineService(service: Service): Service {
  if (!/^[a-z][a-z0-9_-]{0,39}$/.test(service.name))
    throw new Error(
      `service name "${service.name}" must be 1-40 lower-case letters, digits, _ or -`,
    );
  if (service.jobTypes.length === 0) throw new Error(`service ${service.name} has no job types`);
  const seen = new Set<string>();
  for (const t of service.jobTypes) {
    if (!/^[a-z][a-z0-9_-]{0,39}$/.test(t.name))
      throw new Error(`job type name "${t.name}" must be 1-40 lower-case letters, digits, _ or -`);
    if (seen.has(t.name)) throw new Error(`job type "${t.name}" is defined twice`);
    seen.add(t.name);
    if (t.render && typeof t.render !== 'function') {
      const path =
        t.render.template instanceof URL ? fileURLToPath(t.render.template) : t.render.template;
      if (!existsSync(path))
        throw new Error(`job type ${t.name}: the results template ${path} does not exist`);
    }
    for (const name of Object.keys(t.fields)) {
      if (!/^[a-z][a-z0-9_]{0,39}$/.test(name))
        throw new Error(
          `job type ${t.name}: field name "${name}" must be 1-40 lower-case letters, digits or _`,
        );
      if (['email', 'type', 'csrf'].includes(name))
        throw new Error(`job type ${t.name}: field name "${name}" is reserved`);
      const f = t.fields[name]!;
      try {
        checkFieldSpec(name, f);
      } catch (err) {
        throw new Error(`job type ${t.name}: ${(err as Error).message}`);
      }
      if (f.kind === 'file' && !(Number.isSafeInteger(f.maxBytes) && f.maxBytes > 0))
        throw new Error(
          `job type ${t.name}: file field "${name}" needs maxBytes, a positive whole number of bytes`,
        );
      if (
        f.kind === 'choice' &&
        (f.choices.length === 0 || (f.default !== undefined && !f.choices.includes(f.default)))
      )
        throw new Error(
          `job type ${t.name}: choice field "${name}" needs choices, and its default must be one of them`,
        );
    }
  }
  for (const t of service.jobTypes) if (t.example) checkExample(service, t, t.example);
  return service;
}

/** A job type's example must be a valid submission of it (file fields cannot be given). */
function checkExample(service: Service, t: JobType, example: Record<string, string>): void {
  for (const [name, value] of Object.entries(example)) {
    const f = Object.hasOwn(t.fields, name) ? t.fields[name] : undefined;
    if (!f)
      throw new Error(`job type ${t.name}: its example gives "${name}", which is not a field`);
    if (f.kind === 'file')
      throw new Error(
        `job type ${t.name}: its example gives the file field "${name}"; an example cannot upload a file`,
      );
    if (typeof value !== 'string')
      throw new Error(
        `job type ${t.name}: its example's "${name}" must be a string, as a form sends it`,
      );
  }
  try {
    // A stand-in address: a service that requires one still checks the example's own values.
    validateSubmission(service, { ...example, type: t.name, email: 'example@example.org' });
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    const why = Object.entries(err.fields).map(([k, v]) => `${k}: ${v}`);
    throw new Error(
      `job type ${t.name}: its example is not a valid submission (${why.join('; ')})`,
    );
  }
}
