/**
 * Job states, declared once. Each value is the name of the state's folder and the name
 * the CLI and the API see. Other modules name a state through these constants, and what
 * happens to a job in a state is that state's row of POLICY below.
 */
export const STATES = {
  INCOMING: 'incoming',
  PREPROCESSING: 'preprocessing',
  RUNNING: 'running',
  POSTPROCESSING: 'postprocessing',
  FINALIZING: 'finalizing',
  COMPLETED: 'completed',
  FAILED: 'failed',
  ARCHIVED: 'archived',
} as const;

/** A job state; also the name of its folder. */
export type State = (typeof STATES)[keyof typeof STATES];

/** What the backend does with a job it finds in the state's folder (a rescan, a look, an event). */
export type FoundAction =
  /** Read from disk and queued, in submission order (a job waiting for a run slot). */
  | 'queue'
  /** Not being prepared by this backend (it holds no slot here): it never ran, back to the queue. */
  | 'unprepare'
  /** The driver's step for the state, as found (a run judged, postprocessing or finalizing resumed). */
  | 'drive'
  /** Nothing: the job rests there. */
  | 'rest';

/** What a stop (a cancel, the administrator's fail) does to a job in the state (lifecycle/cancel.ts). */
export type StopAction =
  /** Claimed by a rename out of the queue and finished at once. */
  | 'claim'
  /** A CANCEL marker: the backend stops it before its run starts. */
  | 'mark'
  /** A CANCEL marker, then TERM (KILL after kill_grace) to its run. */
  | 'signal'
  /** A parent waiting for the jobs it started has them stopped; any other job here is a conflict. */
  | 'children'
  /** Its run is over: a stop already under way is reported, else a conflict. */
  | 'finishing'
  /** It has ended: a conflict. */
  | 'ended';

/** The administrator's actions on one job (the dashboard's buttons, the CLI's verbs). */
export type AdminActionName = 'resubmit' | 'cancel' | 'fail' | 'delete';

/** What happens to a job in one state, declared once. */
export interface StatePolicy {
  /** Its job holds a run slot of the scheduler (given back as it leaves these states). */
  readonly holdsSlot: boolean;
  /** What the backend does with a job it finds there. */
  readonly found: FoundAction;
  /** The job never leaves it by itself (an end: by-id names it, results can be listed). */
  readonly ended: boolean;
  /** The word a user reads on the pages (templates/words.ts refines running and failed). */
  readonly word: string;
  /** What a stop does there. */
  readonly stop: StopAction;
  /** The administrator's actions that apply. */
  readonly admin: readonly AdminActionName[];
  /** Its name to clients of EBI's Job Dispatcher and of GA4GH WES (web/api/states.ts). */
  readonly external: { readonly dispatcher: string; readonly wes: string };
}

/** Each state's policy, one row each, in lifecycle order (the order folders are searched in). */
export const POLICY: Readonly<Record<State, StatePolicy>> = {
  [STATES.INCOMING]: {
    holdsSlot: false,
    found: 'queue',
    ended: false,
    word: 'queued',
    stop: 'claim',
    admin: ['cancel', 'delete'],
    external: { dispatcher: 'QUEUED', wes: 'QUEUED' },
  },
  [STATES.PREPROCESSING]: {
    holdsSlot: true,
    found: 'unprepare',
    ended: false,
    word: 'starting',
    stop: 'mark',
    admin: ['cancel', 'fail', 'delete'],
    external: { dispatcher: 'RUNNING', wes: 'INITIALIZING' },
  },
  [STATES.RUNNING]: {
    holdsSlot: true,
    found: 'drive',
    ended: false,
    word: 'running',
    stop: 'signal',
    admin: ['cancel', 'fail', 'delete'],
    external: { dispatcher: 'RUNNING', wes: 'RUNNING' },
  },
  [STATES.POSTPROCESSING]: {
    holdsSlot: false,
    found: 'drive',
    ended: false,
    word: 'finishing',
    stop: 'children',
    admin: [],
    external: { dispatcher: 'RUNNING', wes: 'RUNNING' },
  },
  [STATES.FINALIZING]: {
    holdsSlot: false,
    found: 'drive',
    ended: false,
    word: 'finishing',
    stop: 'finishing',
    admin: [],
    external: { dispatcher: 'RUNNING', wes: 'RUNNING' },
  },
  [STATES.COMPLETED]: {
    holdsSlot: false,
    found: 'rest',
    ended: true,
    word: 'completed',
    stop: 'ended',
    admin: ['fail', 'delete'],
    external: { dispatcher: 'FINISHED', wes: 'COMPLETE' },
  },
  [STATES.FAILED]: {
    holdsSlot: false,
    found: 'rest',
    ended: true,
    word: 'failed',
    stop: 'ended',
    admin: ['resubmit', 'delete'],
    external: { dispatcher: 'FAILURE', wes: 'EXECUTOR_ERROR' },
  },
  [STATES.ARCHIVED]: {
    holdsSlot: false,
    found: 'rest',
    ended: true,
    word: 'archived',
    stop: 'ended',
    admin: ['delete'],
    external: { dispatcher: 'NOT_FOUND', wes: 'DELETED' },
  },
};

/** Every state in lifecycle order (the order folders are searched in). */
export const ALL_STATES: readonly State[] = Object.keys(POLICY) as State[];

/** States whose jobs are still moving: watched by chokidar and reconciled on start. */
export const ACTIVE_STATES: readonly State[] = ALL_STATES.filter((s) => !POLICY[s].ended);

/** States a job never leaves by itself. */
export const FINAL_STATES: readonly State[] = ALL_STATES.filter((s) => POLICY[s].ended);

/** EXPIRED is not a folder: an expired job is deleted. It names the outcome in logs and pages. */
export const EXPIRED = 'expired' as const;

/** True when `s` names a state. */
export function isState(s: string): s is State {
  return (ALL_STATES as readonly string[]).includes(s);
}
