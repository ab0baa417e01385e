import { parseRunTime } from './duration.js';
import { RUNNER_KEYS } from './defaults.js';
import type { IniSections } from './ini.js';
import { parseNotify, type NotifyTargets } from './notify.js';
import type { ConfigProblems } from './problems.js';
import { sectionReader } from './section.js';

/** How one job type runs: the config's `[job NAME]` section. */
export interface JobTypeConfig {
  name: string;
  enabled: boolean;
  /** Per-type limit on jobs running at once (under the global `running`); null: none. */
  concurrent: number | null;
  /** Wall-clock limit of one run in ms; null: none. */
  timeLimitMs: number | null;
  /** Notification targets on success / failure: `mail ADDRESS…` and/or `syslog TAG`. */
  notifySuccess: NotifyTargets;
  notifyFail: NotifyTargets;
  runner: 'local' | 'slurm' | 'sge';
  /** Runner options (partition, memory, …) as written, for the runner to validate. */
  runnerOptions: Record<string, string>;
  /** Job types started, with this job's inputs, when this one completes. */
  followOn: string[];
}

/** Runner options that are counts: checked here, so a typo fails check-config, not the first submission. */
const COUNT_KEYS: readonly string[] = ['cpus', 'array_tasks', 'running_tasks'];

/** Read every `[job NAME]` section; errors go to `problems` and the section is left out. */
export function readJobTypes(
  ini: IniSections,
  problems: ConfigProblems,
  base: string,
): Record<string, JobTypeConfig> {
  const jobs: Record<string, JobTypeConfig> = {};
  for (const [name, body] of Object.entries(ini)) {
    if (!name.startsWith('job ')) continue;
    const type = name.slice(4).trim();
    if (!/^[a-z][a-z0-9_-]{0,39}$/.test(type)) {
      problems.add(
        name,
        null,
        'job type names are 1-40 lower-case letters, digits, _ or -, starting with a letter',
      );
      continue;
    }
    const j = sectionReader(problems, name, body, base, 'job NAME');
    const runner = j.str('runner')!;
    if (runner !== 'local' && runner !== 'slurm' && runner !== 'sge')
      j.report('runner', `must be local, slurm or sge, not "${runner}"`);
    const runnerOptions: Record<string, string> = {};
    for (const k of RUNNER_KEYS) {
      const v = j.str(k);
      if (v !== undefined)
        runnerOptions[k] = COUNT_KEYS.includes(k) ? String(j.int(k, 1, 100_000)) : v;
    }
    jobs[type] = {
      name: type,
      enabled: j.bool('enabled'),
      concurrent: j.str('concurrent') === undefined ? null : j.int('concurrent', 1, 10_000),
      timeLimitMs:
        j.str('time_limit') === undefined ? null : j.parsed('time_limit', parseRunTime, 0),
      notifySuccess: j.parsed('notify_success', parseNotify),
      notifyFail: j.parsed('notify_fail', parseNotify),
      runner: runner as JobTypeConfig['runner'],
      runnerOptions,
      followOn: j.list('follow_on'),
    };
    j.done();
  }
  return jobs;
}
