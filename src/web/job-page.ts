/**
 * What the results page shows beyond the job's status (view.ts): the state in words a user
 * knows, the parameters it was submitted with (never the email address: the page is open to
 * anyone with its link), how long it waited and ran, and the way to run it again.
 */
import { type Config, under } from '../config/index.js';
import type { Field, JobType, Service } from '../service/types.js';
import { STATES } from '../states.js';
import { findJobEvenly, type Job, listResultFiles, readJob, type Store } from '../store/index.js';
import type { JobPageExtras, JobPageView, ParameterView } from '../../templates/views.js';
import { stateWord } from '../../templates/words.js';

/** The stored name of an upload (`input-FIELD-NAME`) as the user named it. */
export function uploadName(field: string, stored: string): string {
  const prefix = `input-${field}-`;
  return stored.startsWith(prefix) ? stored.slice(prefix.length) : stored;
}

/** One field's value as a person reads it. */
function shown(field: Field, value: string): string {
  if (field.kind === 'boolean') return value === 'true' ? 'yes' : 'no';
  return value;
}

/** The parameters a job was submitted with, in form order: label and value; uploads by name and size. */
async function parameters(type: JobType, job: Job): Promise<ParameterView[]> {
  const uploads = Object.values(type.fields).some((f) => f.kind === 'file')
    ? new Map((await listResultFiles(job)).map((f) => [f.name, f.size]))
    : new Map<string, number>();
  const out: ParameterView[] = [];
  for (const [name, field] of Object.entries(type.fields)) {
    // An address typed into a field is as private as the submitter's: not on an open page.
    if (field.kind === 'email') continue;
    const value = Object.hasOwn(job.inputs, name) ? job.inputs[name]! : '';
    const label = field.label ?? name;
    if (field.kind === 'file')
      out.push({
        name,
        label,
        value: value ? uploadName(name, value) : '',
        file: value ? { name: uploadName(name, value), size: uploads.get(value) ?? null } : null,
      });
    else
      out.push({
        name,
        label,
        value: shown(field, value),
        multiline: field.kind === 'string' && !!field.multiline,
      });
  }
  return out;
}

/** Milliseconds between two ISO times (or epoch ms), or null when either is missing. */
function between(from: string | number | null, to: string | number | null): number | null {
  if (from === null || to === null || from === '' || to === '') return null;
  const a = typeof from === 'number' ? from : Date.parse(from);
  const b = typeof to === 'number' ? to : Date.parse(to);
  return Number.isFinite(a) && Number.isFinite(b) ? Math.max(0, b - a) : null;
}

/** The results page's extras for `job`, whose status `v` jobView made. */
export async function jobPageExtras(
  cfg: Config,
  service: Service,
  job: Job,
  v: JobPageView,
): Promise<JobPageExtras> {
  const type = service.jobTypes.find((t) => t.name === job.settings.type);
  const cancelled = job.state === STATES.FAILED && job.result.failureKind === 'cancelled';
  const params = type ? await parameters(type, job) : [];
  const running = job.state === STATES.RUNNING && v.started !== null;
  return {
    stateWord: stateWord(job.state, v.started !== null, job.result.failureKind),
    parameters: params,
    // Children of a job are started by it, with inputs the user never typed: no form for them.
    rerunUrl:
      type && !job.settings.parent
        ? under(cfg.general.basePath, `/?type=${encodeURIComponent(type.name)}&from=${job.id}`)
        : null,
    uploads: params.filter((p) => p.file).map((p) => p.label),
    // The user was mailed about the end of the job (finish.ts) when they gave an address.
    mailed: !!job.settings.email && (job.state === STATES.COMPLETED || job.state === STATES.FAILED),
    cancelled,
    waited: between(v.submitted, v.started),
    ran: between(v.started, v.finished ?? (running ? Date.now() : null)),
  };
}

/**
 * What the form is filled in with to run job `id` again: its type and the values of its
 * fields (not its uploads, which the browser must send again; no email address: the reader
 * gets their own from the cookie), with a sentence saying so. An unknown or archived job
 * gives the empty form of the first type, a sentence why and the status its results page
 * has (404, 410): a guess at an id here costs what a guess at a results page does.
 */
export async function prefillFrom(
  store: Store,
  service: Service,
  id: string,
): Promise<{
  type: string | undefined;
  values: Record<string, string>;
  notice: string;
  status: 200 | 404 | 410;
}> {
  const ref = await findJobEvenly(store, id);
  if (!ref || ref.state === STATES.ARCHIVED)
    return {
      type: undefined,
      values: {},
      notice: ref
        ? `The results of job ${id} were archived, so its parameters cannot be copied: the form is empty.`
        : 'There is no job with that id to copy the parameters of: the form is empty.',
      status: ref ? 410 : 404,
    };
  const job = await readJob(ref);
  const type = service.jobTypes.find((t) => t.name === job.settings.type);
  if (!type)
    return {
      type: undefined,
      values: {},
      notice: `Job ${id} was of a type this service no longer runs: the form is empty.`,
      status: 200,
    };
  const values: Record<string, string> = {};
  const uploads: string[] = [];
  for (const [name, field] of Object.entries(type.fields)) {
    // An address is not copied either: the page that links here does not show it.
    if (!Object.hasOwn(job.inputs, name) || field.kind === 'email') continue;
    if (field.kind === 'file') {
      if (job.inputs[name]) uploads.push(field.label ?? name);
    } else values[name] = job.inputs[name]!;
  }
  const again = uploads.length
    ? ` Uploaded files are not copied: choose ${uploads.join(', ')} again.`
    : '';
  return {
    type: type.name,
    values,
    notice: `The form is filled in with the parameters of job ${id}.${again}`,
    status: 200,
  };
}
