/** @jsxRuntime automatic @jsxImportSource jobdir */
/** One generated form control per field kind (JSX), with its label and size limit. */
import type { Field } from '../src/service/types.js';

/** Bytes for people: 900 bytes, 5 KB, 2.5 MB, 1 GB (powers of 1000, as file browsers show). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} bytes`;
  const [v, unit] = n < 1e6 ? [n / 1e3, 'KB'] : n < 1e9 ? [n / 1e6, 'MB'] : [n / 1e9, 'GB'];
  return `${Number(v.toFixed(v < 10 ? 1 : 0))} ${unit}`;
}

type Props = { name: string; field: Field; value: string; bad: boolean };

/** The mark a required field's label carries (its input says `required` to assistive technology). */
export function RequiredMark() {
  return (
    <span class="req" aria-hidden="true">
      {' *'}
    </span>
  );
}

/** What a label says of a field being required: a mark, a note, or "(optional)". */
function Marks({ field }: { field: Field }) {
  if (field.kind === 'boolean') return <></>;
  if (field.required !== false) return <RequiredMark />;
  if (field.requiredNote)
    return (
      <>
        <RequiredMark />
        <span class="note"> ({field.requiredNote})</span>
      </>
    );
  return <> (optional)</>;
}

/** True when a field's label carries the required mark. */
export function marked(field: Field): boolean {
  return field.kind !== 'boolean' && (field.required !== false || !!field.requiredNote);
}

/** The label and control of one field; `bad` points the control at its error message. */
export function FieldInput({ name, field, value, bad }: Props) {
  const label = (
    <label for={name}>
      {field.label ?? name}
      <Marks field={field} />
    </label>
  );
  const a = {
    id: name,
    name,
    required: field.required !== false && field.kind !== 'boolean',
    'aria-invalid': bad ? 'true' : undefined,
    'aria-describedby': bad ? `${name}-err` : undefined,
  } as const;
  switch (field.kind) {
    case 'integer':
      return (
        <>
          {label}
          <input {...a} type="text" inputmode="numeric" value={value} />
        </>
      );
    case 'number':
      return (
        <>
          {label}
          <input {...a} type="text" inputmode="decimal" value={value} />
        </>
      );
    case 'email':
      return (
        <>
          {label}
          <input {...a} type="email" value={value} />
        </>
      );
    case 'boolean':
      // An unticked box sends nothing, which would read as the default: the hidden "false"
      // before it is sent then (the last value of a name counts).
      return (
        <>
          <input type="hidden" name={name} value="false" />
          <label>
            <input
              {...a}
              type="checkbox"
              value="true"
              checked={value === 'true' || (value === '' && !!field.default)}
            />{' '}
            {field.label ?? name}
          </label>
        </>
      );
    case 'choice':
      return (
        <>
          {label}
          <select {...a}>
            {field.choices.map((c) => (
              <option selected={c === (value || field.default)}>{c}</option>
            ))}
          </select>
        </>
      );
    case 'file':
      return (
        <>
          {label}
          <input {...a} type="file" accept={field.accept?.join(',')} />
          <div class="help" id={`${name}-limit`}>
            At most {formatBytes(field.maxBytes)}
            {field.accept ? `; ${field.accept.join(', ')}` : ''}.
          </div>
        </>
      );
    case 'string':
      return (
        <>
          {label}
          {field.multiline ? (
            <textarea {...a} rows={6} maxlength={field.maxLength ?? 1000}>
              {value}
            </textarea>
          ) : (
            <input {...a} type="text" maxlength={field.maxLength ?? 1000} value={value} />
          )}
        </>
      );
  }
}
