/**
 * What each page shows: the data the web layer hands to the templates. Types only, so that
 * every template (and src/web) can import them without importing a component.
 */
import type { JobType } from '../src/service/types.js';

/** Facts every page shows. */
export interface PageFrame {
  serviceName: string;
  /** The service's prefix, urltop's path ('' at a host's root): every address is written as `under(base, path)`. */
  base: string;
  title: string;
  github?: string | null;
  /** Seconds until the page reloads itself (results pages while the job is not done). */
  refresh?: number;
}

/** What a page function is given of the frame (each page sets its own title and refresh). */
export type Frame = Omit<PageFrame, 'title' | 'refresh'>;

/** The submission form of one job type, with the values and messages it is re-shown with. */
export interface FormPageView {
  types: JobType[];
  type: JobType;
  values: Record<string, string>;
  errors: Record<string, string>;
  email: 'required' | 'optional';
  csrf: string;
  description?: string;
  /** The job type's time limit ([job NAME] time_limit) in ms; null when it has none. */
  timeLimitMs?: number | null;
  /** Where the form is filled in with the type's example; absent when it has none. */
  exampleUrl?: string;
  /** A sentence above the form: where its values came from (an example, an earlier job). */
  notice?: string;
}

/** Everything the results page shows about a job. */
export interface JobPageView {
  id: string;
  state: string;
  typeTitle: string;
  submitted: string;
  started: string | null;
  finished: string | null;
  queuePosition: number | null;
  progress: { fraction: number | null; message: string } | null;
  failure: string | null;
  result: { text: string } | { html: string } | null;
  files: { name: string; size: number; url: string }[];
  cancellable: boolean;
  csrf: string;
  refresh: number | null;
  /** The job that started this one, and the jobs this one started (with their states). */
  parent?: string | null;
  /** True while this job is queued until its parent has completed (a fired child, a follow-on). */
  waitsForParent?: boolean;
  children?: { id: string; type: string; state: string }[];
}

/** One parameter a job was submitted with, as the results page lists it. */
export interface ParameterView {
  name: string;
  label: string;
  /** As a person reads it ('' when not given); an upload's file name. */
  value: string;
  /** Shown as a block of lines (a multiline text field). */
  multiline?: boolean;
  /** An upload: its name and size in bytes (null when the file is no longer there); null when none was sent. */
  file?: { name: string; size: number | null } | null;
}

/** What the results page shows beyond the job's status. */
export interface JobPageExtras {
  /** The state in words a user knows: queued, starting, running, finishing, completed, failed, cancelled. */
  stateWord: string;
  parameters: ParameterView[];
  /** The form prefilled with this job's parameters; null for a job the user did not submit (a child). */
  rerunUrl: string | null;
  /** Labels of the fields an upload was sent in (the prefilled form cannot carry them). */
  uploads: string[];
  /** The submitter was mailed the end of this job. */
  mailed: boolean;
  cancelled: boolean;
  /** Milliseconds from submission to the start of the program, and of the run (so far, while running). */
  waited: number | null;
  ran: number | null;
}

/** One row of the my-jobs table. */
export interface MyJobRow {
  id: string;
  state: string;
  type: string;
  submitted: string;
}

/** The my-jobs request form: the address typed, and a sentence once the link was sent. */
export interface MyJobsRequestView {
  csrf: string;
  email: string;
  sent: string | null;
  error: string | null;
}
