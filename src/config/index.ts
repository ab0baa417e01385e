import { dirname, join, resolve } from 'node:path';
import { hostname } from 'node:os';
import { ConfigError } from '../errors.js';
import { ALL_STATES, STATES, type State } from '../states.js';
import { parseAge, parseRunTime } from './duration.js';
import { parseNotify, type NotifyTargets } from './notify.js';
import { readIni, type IniSections } from './ini.js';
import { sectionReader } from './section.js';
import { readWebSection, type WebConfig } from './web.js';
import { CONFIG_KEYS, RUNNER_KEYS, type ConfigSection } from './defaults.js';

export { ConfigError } from '../errors.js';
export { parseAge, parseRunTime, formatDuration } from './duration.js';
export type { WebConfig, RateLimit } from './web.js';
export { parseNotify, type NotifyTargets } from './notify.js';
export { CONFIG_KEYS, DEFAULTS, type KeySpec, type ConfigSection } from './defaults.js';

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

/** The whole, validated service configuration. */
export interface Config {
  file: string;
  general: {
    adminEmail: string;
    serviceName: string;
    urltop: string;
    socket: string | null;
    trackHostname: boolean;
    github: string | null;
    /** Path of the service module (a .ts or .js file). */
    service: string;
    idLength: number;
  };
  backend: {
    user: string | null;
    stateFile: string;
    checkMinutes: number;
    maxAttempts: number;
    /** 0: chokidar uses inotify; >0: it polls at this interval (network filesystems). */
    watchPollMs: number;
    /** Grace after TERM before KILL, for time limits and cancels. */
    killGraceMs: number;
    /** How long one service hook may take before its job fails (`hook_timeout`). */
    hookTimeoutMs: number;
    /** Unix datagram socket that `syslog TAG` notifications go to . */
    syslogSocket: string;
    /** How often running cluster jobs are asked about (squeue / qstat). */
    clusterPollMs: number;
    /** How long a cluster job may be gone without a marker before it fails (slow NFS). */
    clusterGraceMs: number;
    /** Every job through every state folder, hooks or not (`visit_all_states`). */
    visitAllStates: boolean;
  };
  limits: {
    running: number;
    runningTasks: number;
    /** At most this many jobs of one submitter run (or sit submitted to a cluster) at once; null: no cap. */
    perUser: number | null;
    /** fair: fewest running first, then longest waiting ; fifo: submission order. */
    queueOrder: 'fair' | 'fifo';
  };
  directories: {
    install: string;
    /** Folder holding indexes, mail queue and outbox (default: incoming's parent). */
    data: string;
    states: Record<State, string>;
  };
  oldjobs: { archiveMs: number | null; expireMs: number | null };
  email: {
    host: string | null;
    port: number;
    secure: boolean;
    user: string | null;
    password: string | null;
    from: string;
    outbox: string;
  };
  web: WebConfig;
  jobs: Record<string, JobTypeConfig>;
  /** The parsed INI, for services that read sections of their own. */
  ini: IniSections;
  /** Name of this host (read once). */
  hostname: string;
}

const SECTIONS = Object.keys(CONFIG_KEYS).filter(
  (s): s is Exclude<ConfigSection, 'job NAME'> => s !== 'job NAME',
);
/** Runner options that are counts: checked here, so a typo fails check-config, not the first submission. */
const COUNT_KEYS: readonly string[] = ['cpus', 'array_tasks', 'running_tasks'];

/** Load and validate a config file; every error names the file, section, key and rule. */
export function loadConfig(file: string, notice: (msg: string) => void = () => {}): Config {
  const path = resolve(file);
  const ini = readIni(path);
  const base = dirname(path);
  for (const name of Object.keys(ini)) {
    if (
      !(SECTIONS as string[]).includes(name) &&
      name !== 'database' &&
      !name.startsWith('job ') &&
      name !== 'service'
    ) {
      throw new ConfigError(
        path,
        name,
        null,
        `is not a known section; known: ${SECTIONS.join(', ')}, database, job NAME, service (free-form keys for the service module)`,
      );
    }
  }
  if (ini.database)
    notice(`${path}: [database] is ignored: jobdir keeps its jobs in the filesystem`);
  const sec = (name: (typeof SECTIONS)[number]) => sectionReader(path, name, ini[name], base, name);

  const g = sec('general');
  const web = sec('web');
  const webPort = web.int('port', 0, 65535);
  const webHost = web.str('host')!;
  const general: Config['general'] = {
    adminEmail: g.parsed('admin_email', (v) => {
      if (!/^[^@\s]+@[^@\s]+$/.test(v))
        throw new Error(v ? `"${v}" is not an email address` : 'is required');
      return v;
    }),
    serviceName: g.required('service_name'),
    urltop: g.parsed('urltop', (given) => {
      const v = given || `http://${webHost}:${webPort}`;
      const u = new URL(v);
      if (u.protocol !== 'http:' && u.protocol !== 'https:')
        throw new Error('must be an http(s) URL');
      return v.replace(/\/+$/, '');
    }),
    socket: g.path('socket') ?? null,
    trackHostname: g.bool('track_hostname'),
    github: g.str('github') ?? null,
    service:
      g.path('service') ??
      g.fail('service', 'is required: the path of the service module (e.g. service = service.ts)'),
    idLength: g.int('id_length', 12, 40),
  };
  g.done();

  const d = sec('directories');
  const install = d.path('install') ?? d.fail('install', 'is required');
  const explicit: Partial<Record<State, string>> = {};
  for (const s of ALL_STATES) {
    const p = d.path(s);
    if (p) explicit[s] = p;
  }
  if (!explicit.incoming) d.fail(STATES.INCOMING, 'is required');
  if (!explicit.preprocessing) d.fail(STATES.PREPROCESSING, 'is required');
  const states = resolveStateFolders(explicit);
  const seen = new Map<string, State>();
  for (const s of ALL_STATES) {
    const other = seen.get(states[s]);
    if (other)
      d.fail(
        s,
        `resolves to ${states[s]}, the same folder as ${other}; each state needs its own folder`,
      );
    seen.set(states[s], s);
  }
  const data = d.path('data') ?? dirname(states.incoming);
  d.done();

  const b = sec('backend');
  const backend: Config['backend'] = {
    user: b.str('user') ?? null,
    stateFile: b.path('state_file') ?? join(data, 'backend.state'),
    checkMinutes: b.parsed('check_minutes', (v) => {
      const n = Number(v);
      if (!(n > 0)) throw new Error(`must be a positive number of minutes, not "${v}"`);
      return n;
    }),
    maxAttempts: b.int('max_attempts', 1, 100),
    watchPollMs: b.int('watch_poll_ms', 0, 600_000),
    killGraceMs: b.parsed('kill_grace', parseRunTime),
    hookTimeoutMs: b.parsed('hook_timeout', parseRunTime),
    syslogSocket: b.path('syslog_socket')!,
    clusterPollMs: b.parsed('cluster_poll', (v) => {
      const ms = parseRunTime(v);
      if (ms < 100) throw new Error(`must be at least 0.1s, not "${v}"`);
      return ms;
    }),
    clusterGraceMs: b.parsed('cluster_grace', parseRunTime),
    visitAllStates: b.bool('visit_all_states'),
  };
  b.done();

  const l = sec('limits');
  const running = l.int('running', 1, 10_000);
  const limits = {
    running,
    runningTasks:
      l.str('running_tasks') === undefined ? running : l.int('running_tasks', 1, 10_000),
    perUser: l.str('per_user') === undefined ? null : l.int('per_user', 1, 10_000),
    queueOrder: l.parsed('queue_order', (v): 'fair' | 'fifo' => {
      if (v !== 'fair' && v !== 'fifo')
        throw new Error(
          `must be fair (fewest running first, then longest waiting) or fifo (submission order), not "${v}"`,
        );
      return v;
    }),
  };
  l.done();

  const o = sec('oldjobs');
  const oldjobs = {
    archiveMs: o.parsed('archive', parseAge),
    expireMs: o.parsed('expire', parseAge),
  };
  if (
    oldjobs.archiveMs !== null &&
    oldjobs.expireMs !== null &&
    oldjobs.archiveMs > oldjobs.expireMs
  ) {
    o.fail('archive', 'must not be later than expire');
  }
  if (oldjobs.archiveMs === null && oldjobs.expireMs !== null) {
    o.fail('archive', 'is NEVER but expire is set; jobs are archived before they expire');
  }
  o.done();

  const e = sec('email');
  const email: Config['email'] = {
    host: e.str('host') ?? null,
    port: e.int('port', 1, 65535),
    secure: e.bool('secure'),
    user: e.str('user') ?? null,
    password: e.str('password') ?? null,
    from:
      e.str('from') ?? `"${general.serviceName.replace(/["\r\n]/g, '')}" <${general.adminEmail}>`,
    outbox: e.path('outbox') ?? join(data, 'outbox'),
  };
  e.done();

  const webCfg = readWebSection(web, webHost, webPort, join(data, 'web-secret'));
  web.done();

  const jobs: Record<string, JobTypeConfig> = {};
  for (const [name, body] of Object.entries(ini)) {
    if (!name.startsWith('job ')) continue;
    const type = name.slice(4).trim();
    if (!/^[a-z][a-z0-9_-]{0,39}$/.test(type)) {
      throw new ConfigError(
        path,
        name,
        null,
        'job type names are 1-40 lower-case letters, digits, _ or -, starting with a letter',
      );
    }
    const j = sectionReader(path, name, body, base, 'job NAME');
    const runner = j.str('runner')!;
    if (runner !== 'local' && runner !== 'slurm' && runner !== 'sge')
      j.fail('runner', `must be local, slurm or sge, not "${runner}"`);
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
      timeLimitMs: j.str('time_limit') === undefined ? null : j.parsed('time_limit', parseRunTime),
      notifySuccess: j.parsed('notify_success', parseNotify),
      notifyFail: j.parsed('notify_fail', parseNotify),
      runner: runner as JobTypeConfig['runner'],
      runnerOptions,
      followOn: j.list('follow_on'),
    };
    j.done();
  }

  return {
    file: path,
    general,
    backend,
    limits,
    directories: { install, data, states },
    oldjobs,
    email,
    web: webCfg,
    jobs,
    ini,
    hostname: hostname(),
  };
}

/**
 * saliweb lets a state's directory default to the previous state's (failed: completed's).
 * Here a state is a folder, so an inherited state gets a folder named after it inside the
 * nearest explicitly configured directory (same filesystem, distinct folder).
 */
function resolveStateFolders(explicit: Partial<Record<State, string>>): Record<State, string> {
  // In lifecycle order; failed is placed beside completed, below.
  const chain = ALL_STATES.filter((s) => s !== STATES.FAILED);
  const out = {} as Record<State, string>;
  let anchor = explicit.incoming!;
  for (const s of chain) {
    if (explicit[s]) anchor = explicit[s]!;
    out[s] = explicit[s] ?? join(anchor, s);
  }
  out.failed = explicit.failed ?? join(explicit.completed ?? out.completed, STATES.FAILED);
  return out;
}
