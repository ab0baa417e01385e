/**
 * Jobs that start jobs: turning a hook's child requests into validated, recorded, created
 * children (src/store/deps.ts keeps the records), what a parent's postprocess sees of
 * them, and the follow_on checks. The backend calls these; the rules are:
 * - a child the parent waits for (`wait`, the default) runs at once; its parent stays in
 *   POSTPROCESSING (its run is over, it holds no run slot) until every such child has
 *   ended, then its postprocess runs with their results in `job.children`;
 * - a fired child (`wait: false`, and follow_on jobs) stays queued until its parent has
 *   completed, and fails, naming the parent, if the parent fails;
 * - a job nests at most MAX_DEPTH levels below the job submitted by a person, and
 *   follow_on chains may not loop: a job can only name an existing job as its parent, so
 *   no cycle of jobs can form.
 */
import type { Config } from '../config/index.js';
import { ConfigError, messageOf } from '../errors.js';
import type { ChildRequest, ChildResult, Service } from '../service/types.js';
import { validateSubmission } from '../service/validate.js';
import { EXPIRED, FINAL_STATES, STATES } from '../states.js';
import { listResultFiles, readJob, type Job, type Store } from '../store/index.js';
import { childId, type ChildRecord, childStates } from '../store/deps.js';

/** How deep children may nest (a job type that starts itself stops here). */
export const MAX_DEPTH = 20;
/** How many children one request may ask for. */
export const MAX_CHILDREN = 100;

/**
 * Validate `requests` of job `parent` at `stage` (e.g. `run:0`, `post:0:1`, `follow`) and
 * give each its id. Throws an Error naming the request at fault.
 */
export function childRecords(
  service: Service,
  store: Store,
  parent: Job,
  stage: string,
  requests: readonly ChildRequest[],
): ChildRecord[] {
  if (!Array.isArray(requests)) throw new Error('children must be a list of { type, inputs }');
  if (requests.length > MAX_CHILDREN)
    throw new Error(
      `a job may start at most ${MAX_CHILDREN} children at once, not ${requests.length}`,
    );
  const depth = parent.settings.depth + 1;
  if (requests.length && depth > MAX_DEPTH)
    throw new Error(
      `its children would nest ${depth} levels deep (at most ${MAX_DEPTH}): does a job type start itself?`,
    );
  return requests.map((r, i) => {
    try {
      const raw: Record<string, string> = { ...r.inputs, type: String(r?.type ?? '') };
      if (r.email) raw.email = r.email;
      if (!service.jobTypes.some((t) => t.name === raw.type))
        throw new Error(`there is no job type "${String(raw.type).slice(0, 40)}"`);
      // A child is no person's submission: it needs no address even where the form asks for one.
      const v = validateSubmission({ ...service, email: 'optional' }, raw);
      if (v.files.length) throw new Error('children cannot take uploaded files');
      return {
        id: childId(parent.id, stage, i, store.idLength),
        type: v.type.name,
        mode: r.wait === false ? 'after' : 'wait',
        inputs: v.inputs,
        email: v.email,
      };
    } catch (err) {
      throw new Error(
        `child ${i + 1} (${String(r?.type ?? '?').slice(0, 40)}): ${messageOf(err)}`,
        { cause: err },
      );
    }
  });
}

/**
 * The follow_on requests of a job that completed: each named type, with the inputs it has
 * fields for, mailed to the same address (each step of a chain is a result of its own).
 */
export function followOnRequests(cfg: Config, service: Service, job: Job): ChildRequest[] {
  const names = cfg.jobs[job.settings.type]?.followOn ?? [];
  return names.map((name) => {
    const fields = service.jobTypes.find((t) => t.name === name)?.fields ?? {};
    const inputs = Object.fromEntries(
      Object.entries(job.inputs).filter(([k]) => k in fields && fields[k]!.kind !== 'file'),
    );
    const email = job.settings.email;
    return { type: name, inputs, wait: false, ...(email ? { email } : {}) };
  });
}

/** Refuse follow_on names that are not job types of the service, and chains that loop. */
export function checkFollowOn(cfg: Config, service: Service): void {
  const types = new Set(service.jobTypes.map((t) => t.name));
  for (const [name, tc] of Object.entries(cfg.jobs)) {
    for (const next of tc.followOn) {
      if (!types.has(next))
        throw new ConfigError(
          cfg.file,
          `job ${name}`,
          'follow_on',
          `names "${next}", which is not a job type of the service (${[...types].join(', ')})`,
        );
    }
  }
  const seen = new Set<string>();
  const visit = (name: string, path: string[]): void => {
    if (path.includes(name))
      throw new ConfigError(
        cfg.file,
        `job ${path[0]}`,
        'follow_on',
        `loops: ${[...path, name].join(' → ')}; a chain of follow-on jobs must end`,
      );
    if (seen.has(name)) return;
    for (const next of cfg.jobs[name]?.followOn ?? []) visit(next, [...path, name]);
    seen.add(name);
  };
  for (const name of Object.keys(cfg.jobs)) visit(name, []);
}

/** The results of a parent's children, for its postprocess hook (ended ones have files). */
export async function childResults(
  store: Store,
  service: Service,
  parent: Job,
): Promise<ChildResult[]> {
  const out: ChildResult[] = [];
  for (const c of await childStates(store, parent.config)) {
    if (!c.ref) {
      out.push({
        id: c.id,
        type: c.type,
        state: c.gone ? EXPIRED : STATES.INCOMING,
        ok: false,
        failure: c.gone ? 'The job was deleted.' : null,
        dir: '',
        files: [],
      });
      continue;
    }
    const job = await readJob(c.ref).catch(() => null);
    const ended = FINAL_STATES.includes(c.ref.state);
    const type = service.jobTypes.find((t) => t.name === c.type);
    const state = c.ref.state === STATES.ARCHIVED ? job?.result.state || c.ref.state : c.ref.state;
    out.push({
      id: c.id,
      type: c.type,
      state,
      ok: state === STATES.COMPLETED,
      failure: state === STATES.FAILED ? (job?.result.failure ?? 'The job failed.') : null,
      dir: c.ref.dir,
      files: ended ? (await listResultFiles(c.ref, type?.downloads)).map((f) => f.name) : [],
    });
  }
  return out;
}
