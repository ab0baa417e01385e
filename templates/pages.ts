import { html, raw } from 'hono/html';
import { escapeHtml } from '../src/service/render.js';
import type { Field, FormView, JobType } from '../src/service/types.js';
import { layout, type PageFrame } from './layout.js';

type Frame = Omit<PageFrame, 'title' | 'refresh'>;

/** The submission form for one job type, re-shown with the user's values and messages on error. */
export function formPage(f: Frame & {
  types: JobType[]; type: JobType; values: Record<string, string>; errors: Record<string, string>;
  email: 'required' | 'optional'; csrf: string; description?: string;
}) {
  const err = (name: string) => (f.errors[name] ? html`<div class="err" id="${name}-err" role="alert">${f.errors[name]}</div>` : '');
  const general = Object.entries(f.errors).filter(([k]) => k !== 'email' && !Object.hasOwn(f.type.fields, k));
  // A fresh form shows each field's default; a form shown again keeps what was sent.
  const fieldBlock = (name: string, field: Field) => html`<div class="f">${input(name, field, f.values[name] ?? ('default' in field && field.default !== undefined && field.kind !== 'boolean' ? String(field.default) : ''), !!f.errors[name])}${field.help ? html`<div class="help" id="${name}-help">${field.help}</div>` : ''}${err(name)}</div>`;
  const emailBlock = () => html`<div class="f"><label for="email">Email address${f.email === 'optional' ? ' (optional: the results link is sent there)' : ''}</label>
<input id="email" name="email" type="email" autocomplete="email" value="${f.values.email ?? ''}" ${f.email === 'required' ? raw('required') : ''} ${f.errors.email ? raw('aria-invalid="true" aria-describedby="email-err"') : ''}>${err('email')}</div>`;
  const hidden = html`<input type="hidden" name="type" value="${f.type.name}"><input type="hidden" name="csrf" value="${f.csrf}">`;
  if (f.type.form) {
    // The service's own template: it gets the pieces (hidden inputs, any generated field) as HTML.
    const view: FormView = {
      action: '/jobs', hidden: String(hidden), values: f.values, errors: f.errors, escape: escapeHtml,
      field: (name) => {
        if (name === 'email') return String(emailBlock());
        const field = f.type.fields[name];
        if (!field) throw new Error(`job type ${f.type.name} has no field "${name}"`);
        return String(fieldBlock(name, field));
      },
    };
    return layout({ ...f, title: f.type.title ?? f.type.name }, html`${general.length ? html`<div class="box err" role="alert">${general.map(([k, v]) => html`<div>${k}: ${v}</div>`)}</div>` : ''}${raw(f.type.form(view))}`);
  }
  return layout({ ...f, title: f.type.title ?? f.type.name }, html`
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
</form>`);
}

function input(name: string, field: Field, value: string, bad: boolean) {
  const label = html`<label for="${name}">${field.label ?? name}${field.required === false ? ' (optional)' : ''}</label>`;
  const a = raw(`id="${name}" name="${name}"${field.required === false || field.kind === 'boolean' ? '' : ' required'}${bad ? ` aria-invalid="true" aria-describedby="${name}-err"` : ''}`);
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
  const waiting = v.refresh !== null;
  return layout({ ...f, title: `Job ${v.id}`, refresh: v.refresh ?? undefined }, html`
<h1>${v.typeTitle}: job ${v.id}</h1>
<p>State: <span class="state ${v.state}" id="state">${v.state}</span></p>
${waiting ? html`<p id="waiting">${v.queuePosition !== null ? html`Your job is queued${v.queuePosition > 0 ? ` (${v.queuePosition} ahead of it)` : ''}.` : 'Your job is running.'} This page reloads itself every ${v.refresh} s; you can also bookmark it and come back later.</p>` : ''}
${v.progress ? html`<div class="box"><label for="progress">Progress</label>${v.progress.fraction !== null
    ? html`<progress id="progress" max="100" value="${Math.round(v.progress.fraction * 100)}">${Math.round(v.progress.fraction * 100)}%</progress> <span id="percent">${Math.round(v.progress.fraction * 100)}%</span>`
    : html`<progress id="progress"></progress>`} <div id="progress-message">${v.progress.message}</div></div>` : ''}
${v.result ? html`<div class="box" id="result">${'html' in v.result ? raw(v.result.html) : html`<p>${v.result.text}</p>`}</div>` : ''}
${v.failure ? html`<div class="box err" id="failure" role="alert"><p>The job did not complete.</p><pre>${v.failure}</pre><p class="help">If this looks like a problem with the service rather than your input, reply to the email or contact the administrator with the job id.</p></div>` : ''}
<table><tr><th>Submitted</th><td>${v.submitted}</td></tr>${v.started ? html`<tr><th>Started</th><td>${v.started}</td></tr>` : ''}${v.finished ? html`<tr><th>Finished</th><td>${v.finished}</td></tr>` : ''}</table>
${v.parent ? html`<p id="parent">Started by job <a href="/jobs/${v.parent}">${v.parent}</a>${v.waitsForParent ? '; it starts once that job has completed' : ''}.</p>` : ''}
${v.children?.length ? html`<h2>Jobs started by this job</h2><ul id="children">${v.children.map((c) => html`<li><a href="/jobs/${c.id}">${c.id}</a> ${c.type}: <span class="state ${c.state}">${c.state}</span></li>`)}</ul>` : ''}
${v.files.length ? html`<h2>Files</h2><ul id="files">${v.files.map((file) => html`<li><a href="${file.url}" download>${file.name}</a> (${file.size} bytes)</li>`)}</ul>` : ''}
${v.cancellable ? html`<form method="post" action="/jobs/${v.id}/cancel"><input type="hidden" name="csrf" value="${v.csrf}"><button class="secondary" type="submit">Cancel this job</button></form>` : ''}`);
}

/** An error page that says what happened and what to do next. */
export function errorPage(f: Frame, status: number, message: string, next: string) {
  const title = status === 404 ? 'Not found' : status === 410 ? 'Results no longer available' : status >= 500 ? 'Service problem' : 'Request not accepted';
  return layout({ ...f, title }, html`<h1>${title}</h1><p id="message">${message}</p><p>${next}</p><p><a href="/">Submit a new job</a></p>`);
}
