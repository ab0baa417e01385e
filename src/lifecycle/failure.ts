import { formatDuration } from '../config/index.js';
import type { Markers } from '../store/index.js';

/** Why a job did not complete: who should hear about it depends on the kind. */
export type FailureKind = 'program' | 'time_limit' | 'cancelled' | 'technical';

/** A failure in plain words. */
export interface Failure {
  kind: FailureKind;
  message: string;
}

/** The last meaningful lines of a program's stderr, for people. */
export function stderrTail(stderr: string, lines = 5): string {
  return stderr
    .split('\n')
    .map((l) => l.trimEnd())
    .filter(Boolean)
    .slice(-lines)
    .join('\n')
    .slice(-2000);
}

/**
 * The failure a stop request stands for. `jobdir fail` is kind technical (the admin is
 * mailed) unless `-n` asked for no mail, then kind cancelled (no admin mail, no postprocess).
 */
export function cancelFailure(c: NonNullable<Markers['cancel']>, before = false): Failure {
  if (c.mode === 'fail')
    return {
      kind: c.notify ? 'technical' : 'cancelled',
      message: `The administrator marked the job as failed${before ? ' before it ran' : ''}.`,
    };
  return {
    kind: 'cancelled',
    message: `The job was cancelled (by ${c.by})${before ? ' before it started' : ''}.`,
  };
}

/** Describe how a run ended, from its markers; null when it succeeded. */
export function describeRunEnd(
  m: Markers,
  stderr: string,
  timeLimitMs: number | null,
): Failure | null {
  if (m.cancel) return cancelFailure(m.cancel);
  if (m.success) return null;
  const e = m.error;
  if (!e) return { kind: 'technical', message: 'The job ended without a result.' };
  if (e.reason === 'time_limit') {
    return {
      kind: 'time_limit',
      message: `time limit exceeded (${timeLimitMs === null ? 'the configured limit' : formatDuration(timeLimitMs)})`,
    };
  }
  if (e.reason === 'empty_argv')
    return { kind: 'technical', message: 'The service gave the job no program to run.' };
  if (e.signal)
    return { kind: 'technical', message: `The program was killed by signal ${e.signal}.` };
  const tail = stderrTail(stderr);
  if (e.exit === 127 && /not found/i.test(tail))
    return { kind: 'technical', message: `The program could not be started: ${tail}` };
  return {
    kind: 'program',
    message: tail
      ? `The program stopped with an error: ${tail}`
      : `The program stopped with exit code ${e.exit ?? '?'}.`,
  };
}
