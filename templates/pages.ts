import { html, raw } from 'hono/html';
import { escapeHtml } from '../src/service/render.js';
import type { Field, FormView, JobType } from '../src/service/types.js';
import { layout, type PageFrame } from './layout.js';
import { ResultsBody } from './results.js';

type Frame = Omit<PageFrame, 'title' | 'refresh'>;

/** The submission form for one job type, re-shown with the user's values and messages on error. */
export function formPage(
  f: Frame & {
    types: JobType[];
    type: JobType;
    values: Record<string, string>;
    errors: Record<string, string>;
    email: 'required' | 'optional';
    csrf: string;
    description?: string;
  },
) {
  const err = (name: string) =>
    f.errors[name]
      ? html`<div class="err" id="${name}-err" role="alert">${f.errors[name]}</div>`
      : '';
  const general = Object.entries(f.errors).filter(
    ([k]) => k !== 'email' && !Object.hasOwn(f.type.fields, k),
  );
  // A fresh form shows each field's default; a form shown again keeps what was sent.
  const fieldBlock = (name: string, field: Field) =>
    html`<div class="f">${input(name, field, f.values[name] ?? ('default' in field && field.default !== undefined && field.kind !== 'boolean' ? String(field.default) : ''), !!f.errors[name])}${field.help ? html`<div class="help" id="${name}-help">${field.help}</div>` : ''}${err(name)}</div>`;
  const emailBlock =
    () => html`<div class="f"><label for="email">Email address${f.email === 'optional' ? ' (optional: the results link is sent there)' : ''}</label>
<input id="email" name="email" type="email" autocomplete="email" value="${f.values.email ?? ''}" ${f.email === 'required' ? raw('required') : ''} ${f.errors.email ? raw('aria-invalid="true" aria-describedby="email-err"') : ''}>${err('email')}</div>`;
  const hidden = html`<input type="hidden" name="type" value="${f.type.name}"><input type="hidden" name="csrf" value="${f.csrf}">`;
  if (f.type.form) {
    // The service's own template: it gets the pieces (hidden inputs, any generated field) as HTML.
    const view: FormView = {
      action: '/jobs',
      hidden: String(hidden),
      values: f.values,
      errors: f.errors,
      escape: escapeHtml,
      field: (name) => {
        if (name === 'email') return String(emailBlock());
        const field = f.type.fields[name];
        if (!field) throw new Error(`job type ${f.type.name} has no field "${name}"`);
        return String(fieldBlock(name, field));
      },
    };
    return layout(
      { ...f, title: f.type.title ?? f.type.name },
      html`${general.length ? html`<div class="box err" role="alert">${general.map(([k, v]) => html`<div>${k}: ${v}</div>`)}</div>` : ''}${raw(f.type.form(view))}`,
    );
  }
  return layout(
    { ...f, title: f.type.title ?? f.type.name },
    html`
${f.types.length > 1 ? html`<nav aria-label="Job types">${f.types.map((t) => html`<a href="/?type=${t.name}" ${t === f.type ? raw('aria-current="page"') : ''}>${t.title ?? t.name}</a>`)}</nav>` : ''}
<h1>${f.type.title ?? f.type.name}</h1>
${f.description ? html`<p>${f.description}</p>` : ''}
${f.type.description ? html`<p>${f.type.description}</p>` : ''}
${general.length ? html`<div class="box err" role="alert">${general.map(([k, v]) => html`<div>${k}: ${v}</div>`)}</div>` : ''}
<form method="post" action="/jobs" enctype="multipart/form-data">
${hidden}
${Object.entries(f.type.fields).map(([name, field]) => fieldBlock(name, field))}
${emailBlock()}
<button type="submit">Submit</button>
</form>`,
  );
}

function input(name: string, field: Field, value: string, bad: boolean) {
  const label = html`<label for="${name}">${field.label ?? name}${field.required === false ? ' (optional)' : ''}</label>`;
  const a = raw(
    `id="${name}" name="${name}"${field.required === false || field.kind === 'boolean' ? '' : ' required'}${bad ? ` aria-invalid="true" aria-describedby="${name}-err"` : ''}`,
  );
  switch (field.kind) {
    case 'integer':
      return html`${label}<input ${a} type="text" inputmode="numeric" value="${value}">`;
    case 'number':
      return html`${label}<input ${a} type="text" inputmode="decimal" value="${value}">`;
    case 'email':
      return html`${label}<input ${a} type="email" value="${value}">`;
    case 'boolean':
      // An unticked box sends nothing, which would read as the default: the hidden "false" before it is sent then (the last value of a name counts).
      return html`<input type="hidden" name="${name}" value="false"><label><input ${a} type="checkbox" value="true" ${value === 'true' || (value === '' && field.default) ? raw('checked') : ''}> ${field.label ?? name}</label>`;
    case 'choice':
      return html`${label}<select ${a}>${field.choices.map((c) => html`<option ${c === (value || field.default) ? raw('selected') : ''}>${c}</option>`)}</select>`;
    case 'file':
      return html`${label}<input ${a} type="file" ${field.accept ? html`accept="${field.accept.join(',')}"` : ''}><div class="help" id="${name}-limit">At most ${formatBytes(field.maxBytes)}${field.accept ? `; ${field.accept.join(', ')}` : ''}.</div>`;
    case 'string':
      return field.multiline
        ? html`${label}<textarea ${a} rows="6" maxlength="${field.maxLength ?? 1000}">${value}</textarea>`
        : html`${label}<input ${a} type="text" maxlength="${field.maxLength ?? 1000}" value="${value}">`;
  }
}

/** Bytes for people: 900 bytes, 5 KB, 2.5 MB, 1 GB (powers of 1000, as file browsers show). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} bytes`;
  const [v, unit] = n < 1e6 ? [n / 1e3, 'KB'] : n < 1e9 ? [n / 1e6, 'MB'] : [n / 1e9, 'GB'];
  return `${Number(v.toFixed(v < 10 ? 1 : 0))} ${unit}`;
}

/** Everything the results page shows about a job. */
export interface JobPageView {
  id: string;
  state: string;
  typeTitle: string;
  submitted: string;
  started: string | null;
  finished: string | null;
  queuePosition: number | null;
  progress: { fraction: number | null; message: string } | null;
  failure: string | null;
  result: { text: string } | { html: string } | null;
  files: { name: string; size: number; url: string }[];
  cancellable: boolean;
  csrf: string;
  refresh: number | null;
  /** The job that started this one, and the jobs this one started (with their states). */
  parent?: string | null;
  /** True while this job is queued until its parent has completed (a fired child, a follow-on). */
  waitsForParent?: boolean;
  children?: { id: string; type: string; state: string }[];
}

/** The results page: waiting (refreshes itself), done (result and files) or failed (why). */
export function resultsPage(f: Frame, v: JobPageView) {
  return layout(
    { ...f, title: `Job ${v.id}`, refresh: v.refresh ?? undefined },
    html`
${ResultsBody({ v })}`,
  );
}

/** An error page that says what happened and what to do next. */
export function errorPage(f: Frame, status: number, message: string, next: string) {
  const title =
    status === 404
      ? 'Not found'
      : status === 410
        ? 'Results no longer available'
        : status >= 500
          ? 'Service problem'
          : 'Request not accepted';
  return layout(
    { ...f, title },
    html`<h1>${title}</h1><p id="message">${message}</p><p>${next}</p><p><a href="/">Submit a new job</a></p>`,
  );
}
