/** @jsxRuntime automatic @jsxImportSource jobdir */
/** The submission form page (JSX): job-type links, one block per field, the email field. */
import { raw } from 'hono/html';
import { escapeHtml } from '../src/service/render.js';
import type { Field, FormView } from '../src/service/types.js';
import { FieldInput } from './form-fields.js';
import { Layout } from './layout.js';
import type { Frame, FormPageView } from './views.js';
import { under } from '../src/config/urltop.js';

type Form = Frame & FormPageView;

function FieldError({ f, name }: { f: Form; name: string }) {
  const message = f.errors[name];
  if (!message) return <></>;
  return (
    <div class="err" id={`${name}-err`} role="alert">
      {message}
    </div>
  );
}

// A fresh form shows each field's default; a form shown again keeps what was sent.
function FieldBlock({ f, name, field }: { f: Form; name: string; field: Field }) {
  const fallback =
    'default' in field && field.default !== undefined && field.kind !== 'boolean'
      ? String(field.default)
      : '';
  return (
    <div class="f">
      <FieldInput
        name={name}
        field={field}
        value={f.values[name] ?? fallback}
        bad={!!f.errors[name]}
      />
      {field.help ? (
        <div class="help" id={`${name}-help`}>
          {field.help}
        </div>
      ) : (
        ''
      )}
      <FieldError f={f} name={name} />
    </div>
  );
}

function EmailBlock({ f }: { f: Form }) {
  return (
    <div class="f">
      <label for="email">
        Email address{f.email === 'optional' ? ' (optional: the results link is sent there)' : ''}
      </label>
      <input
        id="email"
        name="email"
        type="email"
        autocomplete="email"
        value={f.values.email ?? ''}
        required={f.email === 'required'}
        aria-invalid={f.errors.email ? 'true' : undefined}
        aria-describedby={f.errors.email ? 'email-err' : undefined}
      />
      <FieldError f={f} name="email" />
    </div>
  );
}

/** Messages for what is not one field (an unknown field, a bad job type), listed at the top. */
function General({ f }: { f: Form }) {
  const general = Object.entries(f.errors).filter(
    ([k]) => k !== 'email' && !Object.hasOwn(f.type.fields, k),
  );
  if (!general.length) return <></>;
  return (
    <div class="box err" role="alert">
      {general.map(([k, v]) => (
        <div>
          {k}: {v}
        </div>
      ))}
    </div>
  );
}

function TypeLinks({ f }: { f: Form }) {
  if (f.types.length <= 1) return <></>;
  return (
    <nav aria-label="Job types">
      {f.types.map((t) => (
        <a
          href={under(f.base, `/?type=${t.name}`)}
          aria-current={t === f.type ? 'page' : undefined}
        >
          {t.title ?? t.name}
        </a>
      ))}
    </nav>
  );
}

/** The submission form for one job type, re-shown with the user's values and messages on error. */
export function formPage(f: Form): string {
  const title = f.type.title ?? f.type.name;
  const hidden = (
    <>
      <input type="hidden" name="type" value={f.type.name} />
      <input type="hidden" name="csrf" value={f.csrf} />
    </>
  );
  const { form } = f.type;
  if (form) {
    // The service's own template: it gets the pieces (hidden inputs, any generated field) as HTML.
    const view: FormView = {
      action: under(f.base, '/jobs'),
      hidden: String(hidden),
      values: f.values,
      errors: f.errors,
      escape: escapeHtml,
      field: (name) => {
        if (name === 'email') return String(<EmailBlock f={f} />);
        const field = f.type.fields[name];
        if (!field) throw new Error(`job type ${f.type.name} has no field "${name}"`);
        return String(<FieldBlock f={f} name={name} field={field} />);
      },
    };
    return String(
      <Layout frame={{ ...f, title }}>
        <General f={f} />
        {raw(form(view))}
      </Layout>,
    );
  }
  return String(
    <Layout frame={{ ...f, title }}>
      <TypeLinks f={f} />
      <h1>{title}</h1>
      {f.description ? <p>{f.description}</p> : ''}
      {f.type.description ? <p>{f.type.description}</p> : ''}
      <General f={f} />
      <form method="post" action={under(f.base, '/jobs')} enctype="multipart/form-data">
        {hidden}
        {Object.entries(f.type.fields).map(([name, field]) => (
          <FieldBlock f={f} name={name} field={field} />
        ))}
        <EmailBlock f={f} />
        <button type="submit">Submit</button>
      </form>
    </Layout>,
  );
}
