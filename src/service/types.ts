import type { Config } from '../config/index.js';
import type { Progress } from '../store/index.js';
import type { ResultTemplate } from './render.js';

/** What every input field has. */
interface FieldBase {
  /** Shown beside the input; defaults to the field's name. */
  label?: string;
  /** One line of help under the input. */
  help?: string;
  /** Default true. An optional field left empty is stored as "". */
  required?: boolean;
  /**
   * For a field that is not required by itself (`required: false`) but is one of several
   * ways to give something (paste the sequences, or upload a file): what the form says
   * after the label instead of "(optional)", e.g. 'or upload a file below: one of the two
   * is required'. The form marks such a field like a required one.
   */
  requiredNote?: string;
}

/** One input of a job type's form / API. */
export type Field = FieldBase &
  (
    | { kind: 'integer'; min?: number; max?: number; default?: number }
    | { kind: 'number'; min?: number; max?: number; default?: number }
    | {
        kind: 'string';
        maxLength?: number;
        pattern?: RegExp;
        multiline?: boolean;
        default?: string;
      }
    | { kind: 'choice'; choices: readonly string[]; default?: string }
    | { kind: 'boolean'; default?: boolean }
    | { kind: 'email'; default?: string }
    | { kind: 'file'; maxBytes: number; accept?: readonly string[] }
  );

/** What hooks and `run` receive about their job. */
export interface JobContext {
  id: string;
  type: string;
  /** The job directory: hooks read and write their files here (paths relative to it). */
  dir: string;
  /** Validated inputs as strings (file fields hold the stored file name). */
  inputs: Record<string, string>;
  email: string;
  /** The whole service configuration (service-specific keys are in config.ini.service). */
  config: Config;
  /** Append a line to this job's own log (jobdir.log in its directory). */
  log(message: string): Promise<void>;
  /**
   * Absolute path of a file in the job directory. Hooks run inside the backend process,
   * whose working directory is not the job's: always go through `path` (or readFile /
   * writeFile). Refuses absolute names, `..` and dot-names.
   */
  path(name: string): string;
  /** Read a text file of the job directory. */
  readFile(name: string): Promise<string>;
  /** Write a file into the job directory durably (not jobdir's own files). */
  writeFile(name: string, data: string | Uint8Array): Promise<void>;
  /** The job that started this one (a child or follow-on job), with its directory; null otherwise. */
  parent?: { id: string; dir: string } | null;
}

/**
 * A job a job starts (see docs/writing-a-service.md, "Jobs that start jobs"). `wait`
 * (default true): the parent waits, and its postprocess sees the child's result in
 * `job.children`. `wait: false`: fire it; the child starts once the parent has completed
 * and fails, naming the parent, if the parent fails.
 */
export interface ChildRequest {
  type: string;
  /** The child's inputs, validated like a submission of its type (no file fields). */
  inputs?: Record<string, string>;
  wait?: boolean;
  /** Send the child's own result mail here (default: none; the parent's mail covers it). */
  email?: string;
}

/** What a parent's postprocess sees of each child it started. */
export interface ChildResult {
  id: string;
  type: string;
  /** The child's state: completed or failed once it ended. */
  state: string;
  ok: boolean;
  failure: string | null;
  /** The child's directory and the files its program left there. */
  dir: string;
  files: string[];
}

/** What `run` may return instead of a bare argv. */
export interface RunSpec {
  /** May be empty when `children` does the work: the job then waits for them. */
  argv: string[];
  /** Jobs to start now (recorded in this job before they exist: a crash never runs one twice). */
  children?: ChildRequest[];
  /** Overrides of the [job NAME] runner options (partition, memory, array_tasks, running_tasks, …). */
  runnerOptions?: Record<string, string>;
  /** Where this job runs, overriding the [job NAME] `runner` key (e.g. big inputs to the cluster). */
  runner?: 'local' | 'slurm' | 'sge';
}

/** The outcome a finished job's hooks and templates see. */
export interface JobOutcome extends JobContext {
  ok: boolean;
  /** Plain-words failure, when !ok. */
  failure: string | null;
  stdout: string;
  stderr: string;
  progress: Progress | null;
  /** The children this job started, with their results (empty when it started none). */
  children: ChildResult[];
}

/** What postprocess may return to start jobs: the parent waits for those with `wait` and is called again. */
export interface StartChildren {
  children: ChildRequest[];
}

/** What postprocess may ask for: run the program again with new data (saliweb's reschedule_run). */
export interface Reschedule {
  rerun: true;
  /** Extra inputs merged into the job's inputs for the next run. */
  inputs?: Record<string, string>;
}

/** What a custom form template gets. */
export interface FormView {
  /** Where the form posts (`/jobs` under the service's prefix), with method post and enctype multipart/form-data. */
  action: string;
  /** The hidden inputs every submission needs (job type, CSRF token), as HTML. */
  hidden: string;
  /** The values the user sent (re-shown after a mistake) and a message per bad field. */
  values: Record<string, string>;
  errors: Record<string, string>;
  /** The generated HTML of one field (label, input, help, error), for the fields you do not lay out yourself. */
  field(name: string): string;
  /** Escape text for HTML. */
  escape(text: string): string;
}

/** One kind of job a service runs. */
export interface JobType {
  name: string;
  title?: string;
  description?: string;
  /** Input fields, in form order. */
  fields: Record<string, Field>;
  /**
   * Values of a small job that shows what the service does (field → value, as a form
   * would send them; no file fields): the form offers "Fill in an example" with them.
   * `defineService` checks them as a submission.
   */
  example?: Record<string, string>;
  /** Cross-field checks; return field → message for each problem. */
  validate?(inputs: Record<string, string>): Record<string, string> | void;
  /** The program to run: its argv (argv[0] a path or a name on PATH). */
  run(job: JobContext): string[] | RunSpec | Promise<string[] | RunSpec>;
  /** Before the run; return `{ skipRun: true }` to go straight to postprocess. */
  preprocess?(
    job: JobContext,
  ): void | { skipRun?: boolean } | Promise<void | { skipRun?: boolean }>;
  /** After the run (also after a failed run); may ask for a rerun. */
  postprocess?(
    job: JobOutcome,
  ): void | Reschedule | StartChildren | Promise<void | Reschedule | StartChildren>;
  finalize?(job: JobOutcome): void | Promise<void>;
  /** After the job reached COMPLETED or FAILED (its email is already queued). */
  complete?(job: JobOutcome): void | Promise<void>;
  archive?(job: JobContext): void | Promise<void>;
  expire?(job: JobContext): void | Promise<void>;
  /** Files users may download (exact names or simple * globs). Default: every regular file the program wrote. */
  downloads?: readonly string[];
  /** What each result file is, in a few words (exact names or * globs), for clients such as the Job Dispatcher's resulttypes. */
  fileLabels?: Record<string, string>;
  /**
   * The results shown on the page when the job completed: a function returning text (shown
   * escaped) or `{ html }` (trusted markup), or `{ template }`, an HTML file whose
   * `{{stdout}}`, `{{inputs.NAME}}`, `{{id}}` placeholders are filled in, escaped.
   */
  render?: ((job: JobOutcome) => string | { html: string }) | ResultTemplate;
  /**
   * Your own form for this job type, instead of the one generated from `fields`: return the
   * HTML inside the page. Put `view.hidden` inside your <form> and use `view.field(name)`
   * for the standard input (label, value, error message) of any field you do not lay out yourself.
   */
  form?(view: FormView): string;
}

/** A whole service: what `defineService` returns and a service module exports as default. */
export interface Service {
  name: string;
  title: string;
  description?: string;
  /** Whether the form asks for an email address (default 'optional'). */
  email?: 'required' | 'optional';
  jobTypes: JobType[];
}
