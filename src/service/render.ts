import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { JobOutcome, JobType } from './types.js';

/** What a results template is: an HTML file with `{{key}}` placeholders. */
export interface ResultTemplate {
  /** The file: a path, or `new URL('./results.html', import.meta.url)` beside the module. */
  template: string | URL;
}

const SPECIAL = /[&<>"']/g;
const ENTITY: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
/** Text made safe for HTML content and for a double- or single-quoted attribute value (the JSX runtime's too). */
export function escapeHtml(s: string): string {
  return s.replace(SPECIAL, (c) => ENTITY[c]!);
}

const cache = new Map<string, string>();

/**
 * Fill a results template: `{{id}}`, `{{type}}`, `{{stdout}}`, `{{stderr}}`,
 * `{{inputs.NAME}}` and `{{progress}}` (its message) are replaced by the job's values,
 * HTML-escaped; an unknown key becomes empty. The file is read once.
 */
export function fillTemplate(t: ResultTemplate, job: JobOutcome): string {
  const path = t.template instanceof URL ? fileURLToPath(t.template) : t.template;
  let text = cache.get(path);
  if (text === undefined) {
    text = readFileSync(path, 'utf8');
    cache.set(path, text);
  }
  const values: Record<string, string> = {
    id: job.id,
    type: job.type,
    stdout: job.stdout,
    stderr: job.stderr,
    progress: job.progress?.message ?? '',
  };
  for (const [k, v] of Object.entries(job.inputs)) values[`inputs.${k}`] = v;
  return text.replace(/\{\{\s*([A-Za-z0-9_.]+)\s*\}\}/g, (_, key: string) =>
    escapeHtml(values[key] ?? ''),
  );
}

/** What a completed job's results show: the type's render function or template; null when it has neither. */
export function renderResult(
  type: JobType,
  job: JobOutcome,
): { text: string } | { html: string } | null {
  const r = type.render;
  if (!r) return null;
  if (typeof r === 'function') {
    const out = r(job);
    return typeof out === 'string' ? { text: out } : out;
  }
  return { html: fillTemplate(r, job) };
}
