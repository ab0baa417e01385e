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
