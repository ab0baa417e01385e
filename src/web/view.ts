import { type Config, under } from '../config/index.js';
import { GoneError } from '../errors.js';
import { jobOutcome } from '../service/context.js';
import { renderResult } from '../service/render.js';
import type { JobOutcome, Service } from '../service/types.js';
import { EXPIRED, POLICY, STATES } from '../states.js';
import {
  type Job,
  listResultFiles,
  readMarkers,
  readProgress,
  type Store,
} from '../store/index.js';
import { childStates, unfinishedWaited } from '../store/deps.js';
import type { JobPageView } from '../../templates/views.js';

/**
 * How soon a waiting job's page reloads itself, by the job's age: every second at first (a
 * job of a few seconds shows its result at once), backing off to saliweb's pace, every 5 s
 * and then a tenth of the age, at most 5 min.
 */
export function refreshSeconds(ageMs: number): number {
  const s = ageMs / 1000;
  if (s < 10) return 1;
  if (s < 30) return 2;
  if (s < 50) return 3;
  return Math.min(300, Math.max(5, Math.round(s / 10)));
}

/** Throws GoneError for an archived job: its results (page, status, files) can no longer be viewed. */
export function assertViewable(job: Job): void {
  if (job.state === STATES.ARCHIVED) {
    throw new GoneError(
      `The results of job ${job.id} were archived on ${job.result.archived.slice(0, 10) || 'an earlier date'} and can no longer be viewed here.`,
    );
  }
}

/** Everything the results page and the API status show about a job. */
export async function jobView(
  cfg: Config,
  service: Service,
  job: Job,
  queuePosition: number | null,
  csrf = '',
  store?: Store,
): Promise<JobPageView & { type: string; runner: string }> {
  assertViewable(job);
  const s = job.settings;
  const r = job.result;
  const type = service.jobTypes.find((t) => t.name === s.type);
  const m = await readMarkers(job.dir);
  const policy = POLICY[job.state];
  const final = policy.ended;
  const active = !final;
  const progress = active || job.state === STATES.COMPLETED ? await readProgress(job.dir) : null;
  let result: JobPageView['result'] = null;
  if (job.state === STATES.COMPLETED && type?.render) {
    const outcome: JobOutcome = {
      ...(await jobOutcome(job, cfg, true, null, progress)),
      log: async () => {},
    };
    try {
      result = renderResult(type, outcome);
    } catch (err) {
      result = { text: `(the result could not be shown: ${(err as Error).message})` };
    }
  }
  const files = final ? await listResultFiles(job, type?.downloads, cfg.web.maxDownloadBytes) : [];
  // Where each child is (one lookup each): listed below, and a cancel that stops children needs one unfinished.
  const children = store && job.config.children ? await childStates(store, job.config) : [];
  const submitted = Date.parse(s.submitted) || Date.now();
  return {
    id: job.id,
    state: job.state,
    type: s.type,
    typeTitle: type?.title ?? (s.type || 'Job'),
    runner: job.run.runner,
    submitted: s.submitted,
    started: m.running ? new Date(m.running.started).toISOString() : null,
    finished: final ? r.finished || null : null,
    queuePosition,
    progress: job.state === STATES.COMPLETED ? null : progress,
    failure: job.state === STATES.FAILED ? (r.failure ?? 'The job failed.') : null,
    result,
    files: files.map((f) => ({
      ...f,
      url: under(cfg.general.basePath, `/jobs/${job.id}/files/${encodeURIComponent(f.name)}`),
    })),
    cancellable:
      policy.stop === 'claim' ||
      policy.stop === 'mark' ||
      policy.stop === 'signal' ||
      (policy.stop === 'children' && unfinishedWaited(children).length > 0),
    csrf,
    refresh: final ? null : refreshSeconds(Date.now() - submitted),
    parent: s.parent || null,
    waitsForParent: s.afterParent && job.state === STATES.INCOMING,
    children: children.map((c) => ({
      id: c.id,
      type: c.type,
      state: c.ref?.state ?? (c.gone ? EXPIRED : STATES.INCOMING),
    })),
  };
}
