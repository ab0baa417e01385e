/** A structured logger: one JSON line per event on stderr (`JOBDIR_LOG=silent` mutes it). */
export type Log = (event: string, fields?: Record<string, unknown>) => void;

/** A logger whose lines carry `component`. */
export function createLog(component: string, sink: (line: string) => void = (l) => process.stderr.write(l)): Log {
  return (event, fields = {}) => {
    sink(JSON.stringify({ t: new Date().toISOString(), level: /fail|error|fatal/.test(event) ? 'error' : 'info', component, event, ...fields }) + '\n');
  };
}

/** A logger that drops everything (tests, quiet CLI verbs). */
export const silentLog: Log = () => {};
