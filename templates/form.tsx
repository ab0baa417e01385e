/** @jsxRuntime automatic @jsxImportSource jobdir */
/** The submission form page (JSX): job-type links, one block per field, the email field. */
import { raw } from 'hono/html';
import { escapeHtml } from '../src/service/render.js';
import type { Field, FormView } from '../src/service/types.js';
import { formatDuration } from '../src/config/duration.js';
import { FieldInput, marked, RequiredMark } from './form-fields.js';
import { Layout } from './layout.js';
import type { Frame, FormPageView } from './views.js';
import { under } from '../src/config/urltop.js';

type Form = Frame & FormPageView;

function FieldError({ f, name }: { f: Form; name: string }) {
  const message = f.errors[name];
  if (!message) return <></>;
  // Not an alert each: the summary at the top is the one alert, and links here.
  return (
    <div class="err" id={`${name}-err`}>
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
        Email address
        {f.email === 'optional' ? ' (optional: the results link is sent there)' : <RequiredMark />}
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

/** The label a message is shown with in the summary: the field's, or the key as sent. */
function labelOf(f: Form, key: string): string {
  if (key === 'email') return 'Email address';
  const field = Object.hasOwn(f.type.fields, key) ? f.type.fields[key] : undefined;
  return field ? (field.label ?? key) : key;
}

/**
 * Every message of a form shown again, at the top: a link to each field's input, in form
 * order, then what is not one field (an unknown field, a bad job type). It takes the focus
 * (autofocus), so a screen reader reads it first.
 */
function ErrorSummary({ f }: { f: Form }) {
  const keys = Object.keys(f.errors);
  if (!keys.length) return <></>;
  const order = [...Object.keys(f.type.fields), 'email'];
  const known = order.filter((k) => keys.includes(k));
  const other = keys.filter((k) => !order.includes(k));
  const n = keys.length;
  return (
    <div class="box err-summary" id="error-summary" role="alert" tabindex={-1} autofocus>
      <h2>{n === 1 ? 'There is a problem' : `There are ${n} problems`} with what was sent</h2>
      <ul>
        {known.map((k) => (
          <li>
            <a href={`#${k}`}>
              {labelOf(f, k)}: {f.errors[k]}
            </a>
          </li>
        ))}
        {other.map((k) => (
          <li>
            {labelOf(f, k)}: {f.errors[k]}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** Where the values came from (an example, an earlier job), the example link, the time limit. */
function Intro({ f }: { f: Form }) {
  const limit = f.timeLimitMs;
  return (
    <>
      {f.notice ? (
        <p class="box" id="notice" role="status">
          {f.notice}
        </p>
      ) : (
        ''
      )}
      {limit ? (
        <p id="time-limit">
          A job may run for at most {formatDuration(limit)}; one that runs longer is stopped.
        </p>
      ) : (
        ''
      )}
      {f.exampleUrl ? (
        <p>
          <a id="example" href={f.exampleUrl}>
            Fill in an example
          </a>
        </p>
      ) : (
        ''
      )}
    </>
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
        <ErrorSummary f={f} />
        <Intro f={f} />
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
      <ErrorSummary f={f} />
      <Intro f={f} />
      <form method="post" action={under(f.base, '/jobs')} enctype="multipart/form-data">
        {hidden}
        {Object.values(f.type.fields).some(marked) || f.email === 'required' ? (
          <p class="help" id="required-legend">
            Fields marked <span class="req">*</span> are required.
          </p>
        ) : (
          ''
        )}
        {Object.entries(f.type.fields).map(([name, field]) => (
          <FieldBlock f={f} name={name} field={field} />
        ))}
        <EmailBlock f={f} />
        <button type="submit">Submit</button>
      </form>
    </Layout>,
  );
}
