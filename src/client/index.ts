/**
 * A small typed client for a jobdir service's JSON API (no dependencies: global fetch).
 *
 *   const api = createClient({ url: 'https://jobs.example.org' });
 *   const { id } = await api.submit({ type: 'divide', x: 7, y: 2 });
 *   const done = await api.wait(id);          // polls with backoff
 *   const text = await (await api.download(id, done.files[0].name)).text();
 */

/** A jobdir state (the folder names). */
export type JobState =
  | 'incoming'
  | 'preprocessing'
  | 'running'
  | 'postprocessing'
  | 'finalizing'
  | 'completed'
  | 'failed'
  | 'archived';

/** The links a job resource carries. */
export interface Links {
  self: string;
  results: string;
  cancel?: string;
}

/** GET /api/jobs/{id}. */
export interface JobStatus {
  id: string;
  state: JobState;
  dispatcher_status: 'QUEUED' | 'RUNNING' | 'FINISHED' | 'ERROR' | 'FAILURE' | 'NOT_FOUND';
  wes_state:
    | 'QUEUED'
    | 'INITIALIZING'
    | 'RUNNING'
    | 'COMPLETE'
    | 'EXECUTOR_ERROR'
    | 'SYSTEM_ERROR'
    | 'CANCELED'
    | 'DELETED';
  type: string;
  progress: { fraction: number | null; message: string } | null;
  queue_position: number | null;
  submitted: string;
  started: string | null;
  finished: string | null;
  failure: string | null;
  result: string | null;
  files: { name: string; size: number; url: string }[];
  links: Links;
  /** The job that started this one (or that it waits for, when submitted with `after`). */
  parent: string | null;
  /** The jobs this one started, in order (`expired`: deleted since). */
  children: { id: string; type: string; state: JobState | 'expired'; links: Links }[];
}

/** POST /api/jobs. */
export interface JobCreated {
  id: string;
  state: JobState;
  links: Links;
}

/** One parameter of a job type (GET /api/parameters). */
export interface ParameterInfo {
  name: string;
  type: 'integer' | 'number' | 'string' | 'choice' | 'boolean' | 'email' | 'file';
  label: string;
  required: boolean;
  help?: string;
  default?: string | number | boolean;
  choices?: string[];
  min?: number;
  max?: number;
  max_length?: number;
  max_bytes?: number;
  accept?: string[];
  /** A string shown as a text area. */
  multiline?: boolean;
}

/** GET /api/parameters. */
export interface ServiceInfo {
  service: string;
  title: string;
  description?: string;
  email: 'required' | 'optional';
  types: { name: string; title: string; description?: string; parameters: ParameterInfo[] }[];
}

/** A file to upload. */
export interface FileInput {
  filename: string;
  data: Uint8Array | Blob;
}

/**
 * What a submission may carry: `type`, `email`, the job type's parameters, and `after`
 * (a job id: the new job waits for that job to complete, and fails if it fails).
 */
export type Submission = Record<string, string | number | boolean | FileInput>;

/** An error answer of the API: its HTTP status, stable code and message (and per-field messages). */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Options of `createClient`. */
export interface ClientOptions {
  /** The service's base URL (its urltop). */
  url: string;
  /** A my-jobs token, for `myJobs()`. */
  token?: string;
  fetch?: typeof globalThis.fetch;
}

/** Options of `wait`. */
export interface WaitOptions {
  /** First delay between polls (default 1 s); it grows by `factor` (1.5) up to `maxDelayMs` (30 s). */
  minDelayMs?: number;
  maxDelayMs?: number;
  factor?: number;
  /** Give up after this long (default: never). */
  timeoutMs?: number;
  /** Called with each status polled. */
  onStatus?: (s: JobStatus) => void;
  signal?: AbortSignal;
}

const FINAL: readonly JobState[] = ['completed', 'failed', 'archived'];
const isFile = (v: unknown): v is FileInput =>
  typeof v === 'object' && v !== null && 'filename' in v && 'data' in v;

/** A client for the service at `url`. */
export function createClient({ url, token, fetch: f = globalThis.fetch }: ClientOptions) {
  const base = url.replace(/\/+$/, '');
  async function call<T>(path: string, init: RequestInit = {}): Promise<T> {
    const res = await f(`${base}${path}`, init);
    if (!res.ok) throw await asError(res);
    return (await res.json()) as T;
  }
  const enc = encodeURIComponent;
  return {
    /** The service's job types and parameters. */
    parameters: () => call<ServiceInfo>('/api/parameters'),
    /** Submit a job: JSON, or multipart when a value is a file. */
    async submit(input: Submission): Promise<JobCreated> {
      if (Object.values(input).some(isFile)) {
        const fd = new FormData();
        for (const [k, v] of Object.entries(input)) {
          if (isFile(v))
            fd.append(
              k,
              v.data instanceof Blob ? v.data : new Blob([v.data as Uint8Array<ArrayBuffer>]),
              v.filename,
            );
          else fd.append(k, String(v));
        }
        return call<JobCreated>('/api/jobs', { method: 'POST', body: fd });
      }
      return call<JobCreated>('/api/jobs', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(input),
      });
    },
    /**
     * Submit many jobs in one request (made durable together): each element's id, or its
     * errors (`error.fields` per field, `error.message` else), in order.
     */
    async submitMany(
      inputs: Record<string, string>[],
    ): Promise<
      ({ id: string } | { error: { fields?: Record<string, string>; message?: string } })[]
    > {
      const res = await f(`${base}/api/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(inputs),
      });
      const copy = res.clone();
      const body = (await res.json().catch(() => null)) as { jobs?: unknown } | null;
      if (!Array.isArray(body?.jobs)) throw await asError(copy);
      return body.jobs as ({ id: string } | { error: { fields?: Record<string, string> } })[];
    },
    /** A job's status. */
    status: (id: string) => call<JobStatus>(`/api/jobs/${enc(id)}`),
    /** Cancel a queued or running job. */
    cancel: (id: string) => call<JobStatus>(`/api/jobs/${enc(id)}/cancel`, { method: 'POST' }),
    /** Download one result file (the Response's body streams it). */
    async download(id: string, name: string): Promise<Response> {
      const res = await f(`${base}/api/jobs/${enc(id)}/files/${enc(name)}`);
      if (!res.ok) throw await asError(res);
      return res;
    },
    /** Poll until the job is completed, failed or archived, backing off between polls. */
    async wait(
      id: string,
      {
        minDelayMs = 1000,
        maxDelayMs = 30_000,
        factor = 1.5,
        timeoutMs,
        onStatus,
        signal,
      }: WaitOptions = {},
    ): Promise<JobStatus> {
      const end = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
      let delay = minDelayMs;
      for (;;) {
        const s = await call<JobStatus>(`/api/jobs/${enc(id)}`, { signal });
        onStatus?.(s);
        if (FINAL.includes(s.state)) return s;
        if (Date.now() + delay > end)
          throw new ApiError(0, 'timeout', `job ${id} is still ${s.state} after ${timeoutMs} ms`);
        await new Promise((r, j) => {
          const t = setTimeout(r, delay);
          signal?.addEventListener('abort', () => (clearTimeout(t), j(signal.reason)), {
            once: true,
          });
        });
        delay = Math.min(maxDelayMs, delay * factor);
      }
    },
    /** Ask for a my-jobs link to be mailed to `email`. */
    requestMyJobsLink: (email: string) =>
      call<{ message: string }>('/api/my-jobs', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email }),
      }),
    /** The jobs of the address the token proves (the token ends a my-jobs link). */
    myJobs: (t = token) =>
      call<{
        email: string;
        jobs: { id: string; state: JobState; type: string; submitted: string; links: Links }[];
      }>('/api/jobs', { headers: { authorization: `Bearer ${t ?? ''}` } }),
  };
}

/** The client type. */
export type Client = ReturnType<typeof createClient>;

async function asError(res: Response): Promise<ApiError> {
  try {
    const body = (await res.json()) as {
      error?: { code?: string; message?: string; fields?: Record<string, string> };
    };
    return new ApiError(
      res.status,
      body.error?.code ?? 'http_error',
      body.error?.message ?? `HTTP ${res.status}`,
      body.error?.fields,
    );
  } catch {
    return new ApiError(res.status, 'http_error', `HTTP ${res.status} ${res.statusText}`);
  }
}
