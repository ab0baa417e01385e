import { maxLengthOf } from '../../service/fields.js';
import type { Field, JobType, Service } from '../../service/types.js';
import { el, xmlDocument, type Xml } from './xml.js';

/**
 * A job type's parameters as the Job Dispatcher's `parameters` and `parameterdetails`
 * answers, in the shape EBI's clients parse: the Perl client reads them with XML::Simple
 * (an element seen once is a scalar, twice a list; an empty element becomes a hash),
 * so every element here has text, and a job type always lists at least two ids
 * (its fields, then `email`, which every jobdir submission takes).
 */

/** The protocol's type names for jobdir's field kinds. */
const KIND: Record<Field['kind'], string> = {
  integer: 'INTEGER',
  number: 'DOUBLE',
  string: 'STRING',
  choice: 'STRING',
  boolean: 'BOOLEAN',
  email: 'STRING',
  file: 'FILE',
};

/** An integer field with at most this many allowed values lists each of them. */
const LIST_RANGE_UP_TO = 20;

/** The email field every submission takes (the form's "Email address"). */
function emailField(service: Service): Field {
  return {
    kind: 'email',
    label: 'Email address',
    required: service.email === 'required',
    help: 'The link to the results is sent there.',
  };
}

/** The parameter names of `type`, in form order, then email. */
export function parameterNames(type: JobType): string[] {
  return [...Object.keys(type.fields).filter((n) => n !== 'email'), 'email'];
}

/** GET /parameters: `<parameters><id>…</id>…</parameters>`. */
export function parametersXml(type: JobType): string {
  return xmlDocument(el('parameters', ...parameterNames(type).map((n) => el('id', n))));
}

/** The field called `name` in `type` (email included), or null. */
export function fieldOf(service: Service, type: JobType, name: string): Field | null {
  if (name === 'email' && !type.fields.email) return emailField(service);
  return Object.hasOwn(type.fields, name) ? type.fields[name]! : null;
}

/** What a field is, in one paragraph: its label, help, limits and whether it is required. */
function describe(name: string, f: Field): string {
  const parts = [f.label ?? name];
  if (f.help) parts.push(f.help);
  if (
    (f.kind === 'integer' || f.kind === 'number') &&
    (f.min !== undefined || f.max !== undefined)
  ) {
    parts.push(
      f.min !== undefined && f.max !== undefined
        ? `From ${f.min} to ${f.max}.`
        : f.min !== undefined
          ? `At least ${f.min}.`
          : `At most ${f.max}.`,
    );
  }
  if (f.kind === 'string') parts.push(`At most ${maxLengthOf(f)} characters.`);
  if (f.kind === 'file')
    parts.push(`An uploaded file (multipart/form-data) of at most ${f.maxBytes} bytes.`);
  parts.push(
    f.required === false || f.kind === 'boolean' || ('default' in f && f.default !== undefined)
      ? 'Optional.'
      : 'Required.',
  );
  return parts.map((p) => (/[.!?:]$/.test(p) ? p : `${p}.`)).join(' ');
}

/** The values a client may choose from, each with its label and whether it is the default. */
function values(f: Field): { value: string; label: string; isDefault: boolean }[] {
  const dflt = 'default' in f && f.default !== undefined ? String(f.default) : undefined;
  switch (f.kind) {
    case 'choice':
      return f.choices.map((c) => ({ value: c, label: c, isDefault: c === dflt }));
    case 'boolean':
      return [
        { value: 'true', label: 'Yes', isDefault: f.default === true },
        { value: 'false', label: 'No', isDefault: f.default !== true },
      ];
    case 'integer':
      if (f.min !== undefined && f.max !== undefined && f.max - f.min < LIST_RANGE_UP_TO) {
        return Array.from({ length: f.max - f.min + 1 }, (_, i) => String(f.min! + i)).map((v) => ({
          value: v,
          label: v,
          isDefault: v === dflt,
        }));
      }
      return dflt === undefined ? [] : [{ value: dflt, label: dflt, isDefault: true }];
    default:
      return dflt === undefined || dflt === ''
        ? []
        : [{ value: dflt, label: dflt, isDefault: true }];
  }
}

/** GET /parameterdetails/{name}: name, description, type and the values with their defaults. */
export function parameterDetailsXml(name: string, f: Field): string {
  const vs = values(f);
  const children: Xml[] = [
    el('name', name),
    el('description', describe(name, f)),
    el('type', KIND[f.kind]),
  ];
  if (vs.length)
    children.push(
      el(
        'values',
        ...vs.map((v) =>
          el(
            'value',
            el('label', v.label),
            el('value', v.value),
            el('defaultValue', String(v.isDefault)),
          ),
        ),
      ),
    );
  return xmlDocument(el('parameter', ...children));
}
