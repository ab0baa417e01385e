/**
 * `jobdir submit --socket PATH TYPE key=value…` (or `type=TYPE key=value…`): submit
 * through the backend's command socket instead of HTTP, for scripts on the backend's
 * host. The job counts against `submitter=NAME` (default local:USER) in the fair share. Prints the job id; --wait asks STATUS until the job has ended (exit 0 completed,
 * 1 failed). Files cannot be sent this way.
 */
import { userInfo } from 'node:os';
import { JobdirError } from '../errors.js';
import { FINAL_STATES, STATES } from '../states.js';
import { openSocketClient, readAnswer, submitLine } from '../socket/index.js';

/** Run the socket variant of `jobdir submit`. */
export async function submitOverSocket(
  path: string,
  args: string[],
  { wait = false, pollMs = 1000 } = {},
): Promise<number> {
  const fields: Record<string, string> = {};
  for (const a of args) {
    const eq = a.indexOf('=');
    if (eq < 0 && !fields.type) {
      fields.type = a;
      continue;
    }
    if (eq < 1) throw new JobdirError(`"${a}" is not key=value`);
    if (a.slice(eq + 1).startsWith('@'))
      throw new JobdirError('files cannot be sent over the socket; use --url');
    fields[a.slice(0, eq)] = a.slice(eq + 1);
  }
  if (!fields.type) throw new JobdirError('name the job type (TYPE or type=TYPE)');
  // The fair share counts a local script's jobs against the user who runs it, unless it names one.
  fields.submitter ??= `local:${userInfo().username}`;
  const client = await openSocketClient(path);
  try {
    const { ok, text: id } = readAnswer(await client.send(submitLine(fields)));
    if (!ok) throw new JobdirError(`the backend did not accept the job: ${id}`);
    process.stdout.write(`${id}\n`);
    if (!wait) return 0;
    for (;;) {
      const st = await client.send(`STATUS ${id}`);
      const state = st.split(' ')[2] ?? '';
      if (!st.startsWith('ACK ')) throw new JobdirError(`asking about job ${id}: ${st}`);
      if ((FINAL_STATES as readonly string[]).includes(state)) {
        process.stderr.write(`job ${id} ${state}\n`);
        return state === STATES.COMPLETED ? 0 : 1;
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  } finally {
    client.close();
  }
}
