import { logLevel } from './config/env.js';

/** A structured logger: one JSON line per event on stderr (`JOBDIR_LOG=silent` mutes it). */
export type Log = (event: string, fields?: Record<string, unknown>) => void;

/**
 * A logger whose lines carry `component`. Without a `sink` it writes to stderr, or
 * nothing when the environment says `JOBDIR_LOG=silent`; a given sink always gets every line.
 */
export function createLog(component: string, sink?: (line: string) => void): Log {
  if (!sink && logLevel() === 'silent') return silentLog;
  const write = sink ?? ((l: string) => void process.stderr.write(l));
  return (event, fields = {}) => {
    write(
      JSON.stringify({
        t: new Date().toISOString(),
        level: /fail|error|fatal/.test(event) ? 'error' : 'info',
        component,
        event,
        ...fields,
      }) + '\n',
    );
  };
}

/** A logger that drops everything (tests, quiet CLI verbs). */
export const silentLog: Log = () => {};
