/**
 * Test helpers for service authors (`import { runTestJob } from 'jobdir/testing'`): run one
 * job of a service through the real backend, wrapper and program, with the service's own
 * INI file but every folder moved into a fresh temporary directory, and no mail sent.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Config, loadConfig } from '../config/index.js';
import { createBackend } from '../lifecycle/backend.js';
import { jobOutcome } from '../service/context.js';
import { submitJob } from '../lifecycle/submit.js';
import { silentLog } from '../log.js';
import { loadService } from '../service/load.js';
import { renderResult } from '../service/render.js';
import { type Upload, validateSubmission } from '../service/validate.js';
import { ALL_STATES, FINAL_STATES, STATES } from '../states.js';
import { findJob, listResultFiles, openStore, readJob, readProgress } from '../store/index.js';

/** What one test job ended as. */
export interface TestJobResult {
  id: string;
  /** completed or failed. */
  state: string;
  /** Why it failed, in the words the user sees; null when it completed. */
  failure: string | null;
  stdout: string;
  stderr: string;
  /** What the results page shows (the job type's render), or null. */
  rendered: string | null;
  /** Files a user may download. */
  files: string[];
  progress: { fraction: number | null; message: string } | null;
  /** The job's directory (kept for inspection; under the OS temp folder). */
  dir: string;
}

/** The config of `configFile` with every folder moved under `root` and mail to an outbox there. */
export function testConfig(
  configFile: string,
  root = mkdtempSync(join(tmpdir(), 'jobdir-service-test-')),
): Config {
  const cfg = loadConfig(configFile);
  const states = Object.fromEntries(
    ALL_STATES.map((s) => [s, join(root, s)]),
  ) as Config['directories']['states'];
  return {
    ...cfg,
    backend: {
      ...cfg.backend,
      stateFile: join(root, 'backend.state'),
      checkMinutes: Math.min(cfg.backend.checkMinutes, 0.05),
    },
    directories: { ...cfg.directories, data: root, states },
    email: { ...cfg.email, host: null, outbox: join(root, 'outbox') },
  };
}

/**
 * Submit `fields` (as a form would: `type`, the job type's fields, optionally `email`;
 * files as `{ filename, type, data }`) to the service of `configFile`, run it, and resolve
 * when it has completed or failed. Bad input throws the InputError the form would show.
 */
export async function runTestJob(
  configFile: string,
  fields: Record<string, string | Upload>,
  { timeoutMs = 120_000 } = {},
): Promise<TestJobResult> {
  const cfg = testConfig(configFile);
  const service = await loadService(cfg);
  const valid = validateSubmission(service, fields);
  const store = await openStore(cfg);
  const backend = createBackend({ cfg, service, store });
  await backend.start();
  try {
    const submitter = valid.email || 'test';
    const ref = await submitJob({ cfg, store, log: silentLog, service, tell: backend }, valid, {
      submitter,
    });
    const deadline = Date.now() + timeoutMs;
    let now = await findJob(store, ref.id);
    while (!now || !FINAL_STATES.includes(now.state)) {
      if (Date.now() > deadline)
        throw new Error(
          `job ${ref.id} did not end within ${timeoutMs} ms (it is ${now?.state ?? 'gone'})`,
        );
      await new Promise((r) => setTimeout(r, 50));
      now = await findJob(store, ref.id);
    }
    const job = await readJob(now);
    const ok = now.state === STATES.COMPLETED;
    const failure = ok ? null : (job.result.failure ?? 'The job failed.');
    const outcome = await jobOutcome(job, cfg, ok, failure, await readProgress(now.dir));
    const out = ok ? renderResult(valid.type, outcome) : null;
    return {
      id: ref.id,
      state: now.state,
      failure,
      stdout: outcome.stdout,
      stderr: outcome.stderr,
      rendered: out === null ? null : 'text' in out ? out.text : out.html,
      files: (await listResultFiles(now, valid.type.downloads)).map((f) => f.name),
      progress: outcome.progress,
      dir: now.dir,
    };
  } finally {
    await backend.stop();
  }
}
