/**
 * Job states, declared once. Each value is the name of the state's folder and the name
 * users, the CLI and the API see. Other modules name a state through these constants; the
 * one string left is moveJob's list of the states that re-point by-id (store/jobs.ts).
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

/** Every state in lifecycle order (the order folders are searched in). */
export const ALL_STATES: readonly State[] = [
  STATES.INCOMING,
  STATES.PREPROCESSING,
  STATES.RUNNING,
  STATES.POSTPROCESSING,
  STATES.FINALIZING,
  STATES.COMPLETED,
  STATES.FAILED,
  STATES.ARCHIVED,
];

/** States whose jobs are still moving: watched by chokidar and reconciled on start. */
export const ACTIVE_STATES: readonly State[] = [
  STATES.INCOMING,
  STATES.PREPROCESSING,
  STATES.RUNNING,
  STATES.POSTPROCESSING,
  STATES.FINALIZING,
];

/** States a job never leaves by itself. */
export const FINAL_STATES: readonly State[] = [STATES.COMPLETED, STATES.FAILED, STATES.ARCHIVED];

/** EXPIRED is not a folder: an expired job is deleted. It names the outcome in logs and pages. */
export const EXPIRED = 'expired' as const;

/** True when `s` names a state. */
export function isState(s: string): s is State {
  return (ALL_STATES as readonly string[]).includes(s);
}
