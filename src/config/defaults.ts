import { ALL_STATES } from '../states.js';

/**
 * One config key: its default as INI text (`null`: none, or one derived as `doc` says) and the
 * README's words for it. The README's configuration table is generated from this table
 * (`scripts/config-table.ts`), and the reader takes its defaults and known keys from it, so
 * the three cannot disagree.
 */
export interface KeySpec {
  readonly default: string | null;
  readonly doc?: string;
}

const key = (def: string | null, doc?: string): KeySpec =>
  doc === undefined ? { default: def } : { default: def, doc };

const STATE_DOCS: Partial<Record<(typeof ALL_STATES)[number], string>> = {
  incoming: 'required',
  preprocessing: 'required',
  running:
    'a state not given gets a folder of its name inside the nearest configured one before it',
  failed: "default: inside completed's",
};
const stateKeys = Object.fromEntries(
  ALL_STATES.map((s) => [s, key(null, STATE_DOCS[s])]),
) as Record<(typeof ALL_STATES)[number], KeySpec>;

/** Every key of every fixed section and of `[job NAME]`, in the README's order. */
export const CONFIG_KEYS = {
  general: {
    service_name: key(null, 'required; titles pages and mails'),
    service: key(null, 'required: the service module path'),
    admin_email: key(null, 'required'),
    urltop: key(
      null,
      'the public address; its path is the prefix every link, redirect and cookie carries, e.g. `https://lab.example.org/svc`; default: `http://HOST:PORT` of `[web]`',
    ),
    socket: key(null),
    track_hostname: key('false'),
    github: key(null, 'a source link in the page footer'),
    id_length: key('12', 'consonants ≈ 52 bits'),
    umask: key(
      '027',
      "what jobdir creates is the service user's, readable by its group, nobody else's: results stay private on a shared host; `007` when the web runs as a second user of the service's group, see [docs/deploy.md](docs/deploy.md)",
    ),
  },
  backend: {
    user: key(
      null,
      'the backend runs only as this user, and never as root unless it is root; see [docs/deploy.md](docs/deploy.md)',
    ),
    state_file: key(null, 'default: `backend.state` in `data`'),
    check_minutes: key('10', 'rescan period'),
    max_attempts: key('3'),
    watch_poll_ms: key('0', 'inotify; N: poll every N ms'),
    kill_grace: key('10s'),
    hook_timeout: key('5m'),
    syslog_socket: key('/dev/log'),
    cluster_poll: key('5s'),
    cluster_grace: key('64s'),
    visit_all_states: key(
      'false',
      'a job of a type without preprocess, postprocess or finalize hooks goes incoming → running → completed; `true`: through every state folder',
    ),
  },
  limits: {
    running: key('5', 'jobs running or submitted to a cluster at once'),
    running_tasks: key(null, 'array tasks of one cluster job at once; default `running`'),
    per_user: key(
      null,
      'no cap: at most N jobs of one submitter running or submitted to a cluster at once',
    ),
    queue_order: key(
      'fair',
      'submitters take turns, a newcomer in the current round; or `fifo`; see [Fair share](#fair-share-who-goes-next)',
    ),
  },
  directories: {
    install: key(null, 'required'),
    ...stateKeys,
    data: key(null, "indexes, mail queue; default: incoming's parent"),
  },
  oldjobs: {
    archive: key('NEVER', '`NEVER` or a number with `h`, `d`, `w`, `m` (30 days), `y`'),
    expire: key('NEVER', 'the same; not before `archive`'),
  },
  email: {
    host: key(null, 'none: mails go to `outbox` as .eml files'),
    port: key('25'),
    secure: key('false'),
    user: key(null),
    password: key(null),
    from: key(null, 'default: `"service_name" <admin_email>`'),
    outbox: key(null, 'default: `outbox` in `data`'),
  },
  web: {
    host: key('127.0.0.1'),
    port: key('8080'),
    secret_file: key(null, 'signs cookies and my-jobs links; default: `web-secret` in `data`'),
    admin_credentials: key(
      null,
      'file of `user:scrypt…` lines, read at start; add users with `jobdir admin-user NAME`',
    ),
    metrics_auth: key(
      'no',
      'open, as Prometheus scrapers expect; `yes` puts `/metrics` behind the admin credentials',
    ),
    max_body: key('64M', "caps the submission routes' limit, see below"),
    max_download: key('1G', 'larger result files are neither listed nor served'),
    submit_limit: key('60/1h', 'per address, then 429'),
    miss_limit: key('20/10m'),
    miss_delay: key('2s', 'misses past the limit wait, doubling, queued per address'),
    trust_proxy: key('false', 'client address from X-Forwarded-For'),
    headers_timeout: key('10s'),
    request_timeout: key('60s'),
    max_header_size: key('16384'),
    link_ttl: key('7d'),
    min_free_disk: key('1G', '`/healthz` is 503 below it'),
  },
  'job NAME': {
    enabled: key('true'),
    concurrent: key(null, 'per-type limit under `running`'),
    time_limit: key(
      null,
      'TERM, `kill_grace`, KILL; the job fails with "time limit exceeded (LIMIT)"',
    ),
    notify_success: key('', '`mail ADDRESS…` and/or `syslog TAG`'),
    notify_fail: key('', 'the same'),
    runner: key('local', 'local, slurm or sge'),
    partition: key(
      null,
      'this and the keys up to `running_tasks` are runner options, see [Running on a cluster](#running-on-a-cluster-slurm-grid-engine)',
    ),
    queue: key(null),
    time: key(null),
    memory: key(null),
    cpus: key(null),
    options: key(null),
    array_tasks: key(null),
    running_tasks: key(
      null,
      "array tasks of this type's cluster job at once; default [limits] `running_tasks`",
    ),
    follow_on: key(null, "job types started with this job's inputs when it completes"),
  },
} as const satisfies Record<string, Record<string, KeySpec>>;

/** A section of CONFIG_KEYS. */
export type ConfigSection = keyof typeof CONFIG_KEYS;

/** The keys of `[job NAME]` that are passed to the runner as written. */
export const RUNNER_KEYS = [
  'partition',
  'queue',
  'time',
  'memory',
  'cpus',
  'options',
  'array_tasks',
  'running_tasks',
] as const;

/** Each section's defaults as INI text (keys without one left out), for merging by spread. */
export const DEFAULTS = Object.fromEntries(
  Object.entries(CONFIG_KEYS).map(([section, keys]) => [
    section,
    Object.fromEntries(
      Object.entries(keys).flatMap(([k, spec]) =>
        spec.default === null ? [] : [[k, spec.default]],
      ),
    ),
  ]),
) as { readonly [S in ConfigSection]: Readonly<Record<string, string>> };

/** The keys a section accepts. */
export function knownKeys(section: ConfigSection): string[] {
  return Object.keys(CONFIG_KEYS[section]);
}
