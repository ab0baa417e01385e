import { dirname, join, resolve } from 'node:path';
import { hostname } from 'node:os';
import { ConfigError } from '../errors.js';
import { ALL_STATES, STATES, type State } from '../states.js';
import { parseAge, parseRunTime } from './duration.js';
import { readIni, type IniSections } from './ini.js';
import { readJobTypes, type JobTypeConfig } from './job-types.js';
import { ConfigProblems } from './problems.js';
import { sectionReader } from './section.js';
import { didYouMean } from './suggest.js';
import { readWebSection, type WebConfig } from './web.js';
import { parseUrltop } from './urltop.js';
import { CONFIG_KEYS, type ConfigSection } from './defaults.js';

export { ConfigError, ConfigErrors } from '../errors.js';
export type { JobTypeConfig } from './job-types.js';
export { parseAge, parseRunTime, formatDuration } from './duration.js';
export type { WebConfig, RateLimit } from './web.js';
export { parseNotify, type NotifyTargets } from './notify.js';
export { OWN_TOP_SEGMENTS, publicUrl, under, urltopPort } from './urltop.js';
export { CONFIG_KEYS, DEFAULTS, type KeySpec, type ConfigSection } from './defaults.js';

/** The whole, validated service configuration. */
export interface Config {
  file: string;
  general: {
    adminEmail: string;
    serviceName: string;
    /** The public address, without trailing slashes (e.g. https://lab.example.org/svc). */
    urltop: string;
    /** urltop's path: the prefix every link, redirect and cookie carries ('' at a host's root). */
    basePath: string;
    socket: string | null;
    trackHostname: boolean;
    github: string | null;
    /** Path of the service module (a .ts or .js file). */
    service: string;
    idLength: number;
    /** The umask every jobdir process of this service runs with (openStore sets it); default 027: others get nothing. */
    umask: number;
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
    /** fair: submitters take turns (start-time fair queueing); fifo: submission order. */
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
/**
 * Load and validate a config file. Every error names the file, line, section, key and
 * rule, and one reading finds them all: one error is thrown as a ConfigError, several as
 * one ConfigErrors (a ConfigError listing each, in the order of the file).
 */
export function loadConfig(file: string, notice: (msg: string) => void = () => {}): Config {
  const path = resolve(file);
  const { sections: ini, places, errors } = readIni(path);
  const problems = new ConfigProblems(path, places);
  for (const e of errors) problems.push(e);
  let cfg: Config | null = null;
  try {
    cfg = readConfig(path, ini, problems, notice);
  } catch (err) {
    // A ConfigError stops the reading where nothing sensible could follow; anything else
    // that breaks after an error was found is that error's consequence.
    if (err instanceof ConfigError) problems.push(err);
    else if (problems.errors.length === 0) throw err;
  }
  problems.check();
  return cfg!;
}

/** Known sections, and what may follow `job ` (for "did you mean"). */
const ALL_SECTIONS = [...SECTIONS, 'database', 'service'];

function readConfig(
  path: string,
  ini: IniSections,
  problems: ConfigProblems,
  notice: (msg: string) => void,
): Config {
  const base = dirname(path);
  for (const name of Object.keys(ini)) {
    if (ALL_SECTIONS.includes(name) || name.startsWith('job ')) continue;
    const [first = '', ...rest] = name.split(/\s+/);
    const hint = rest.length
      ? didYouMean(first, ['job'], () => `[job ${rest.join(' ')}]`)
      : didYouMean(name, ALL_SECTIONS, (c) => `[${c}]`);
    problems.add(
      name,
      null,
      `is not a known section${hint}; known: ${SECTIONS.join(', ')}, database, job NAME, service (free-form keys for the service module)`,
    );
  }
  if (ini.database)
    notice(`${path}: [database] is ignored: jobdir keeps its jobs in the filesystem`);
  const sec = (name: (typeof SECTIONS)[number]) =>
    sectionReader(problems, name, ini[name], base, name);

  const g = sec('general');
  const web = sec('web');
  const webPort = web.int('port', 0, 65535);
  const webHost = web.str('host')!;
  const general: Config['general'] = {
    adminEmail: g.parsed(
      'admin_email',
      (v) => {
        if (!/^[^@\s]+@[^@\s]+$/.test(v))
          throw new Error(v ? `"${v}" is not an email address` : 'is required');
        return v;
      },
      '',
    ),
    serviceName: g.required('service_name'),
    ...g.parsed('urltop', (given) => parseUrltop(given || `http://${webHost}:${webPort}`)),
    socket: g.path('socket') ?? null,
    trackHostname: g.bool('track_hostname'),
    github: g.str('github') ?? null,
    service:
      g.path('service') ??
      (g.report(
        'service',
        'is required: the path of the service module (e.g. service = service.ts)',
      ),
      ''),
    idLength: g.int('id_length', 12, 40),
    umask:
      g.str('umask') === undefined
        ? 0o027
        : g.parsed('umask', (v) => {
            if (!/^0?[0-7]{3}$/.test(v))
              throw new Error(`must be an octal umask such as 007 or 022, not "${v}"`);
            const n = parseInt(v, 8);
            if (!(n & 0o002))
              throw new Error(
                `${v} would let every user of the machine write into the data root; its last digit must be 2, 3, 6 or 7`,
              );
            return n;
          }),
  };
  g.done();

  const d = sec('directories');
  const install = d.path('install') ?? (d.report('install', 'is required'), base);
  const explicit: Partial<Record<State, string>> = {};
  for (const s of ALL_STATES) {
    const p = d.path(s);
    if (p) explicit[s] = p;
  }
  // Without them the other folders are placed in the config's folder, only to read on.
  for (const s of [STATES.INCOMING, STATES.PREPROCESSING] as const) {
    if (explicit[s]) continue;
    d.report(s, 'is required');
    explicit[s] = join(base, s);
  }
  const states = resolveStateFolders(explicit);
  const seen = new Map<string, State>();
  for (const s of ALL_STATES) {
    const other = seen.get(states[s]);
    if (other)
      d.report(
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
          `must be fair (submitters take turns) or fifo (submission order), not "${v}"`,
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
    o.report('archive', 'must not be later than expire');
  }
  if (oldjobs.archiveMs === null && oldjobs.expireMs !== null) {
    o.report('archive', 'is NEVER but expire is set; jobs are archived before they expire');
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

  const jobs = readJobTypes(ini, problems, base);

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
