/**
 * `jobdir submit --file FILE` (`-`: standard input): many jobs, one per line, in one request
 * to the API (--url) or pipelined on one connection to the command socket (--socket); either
 * way the service makes them durable together. A line is what the arguments of one
 * `jobdir submit` would be: `TYPE key=value …` or `type=TYPE key=value …`, values
 * percent-encoded where they hold spaces (`%20`) or `%` (`%25`); blank lines and lines
 * starting with # are skipped. Prints each job's id, one per line in order; each refused line
 * is named on stderr with its errors, and the exit status is then 1.
 */
import { promises as fs } from 'node:fs';
import { userInfo } from 'node:os';
import { createClient } from '../client/index.js';
import { JobdirError } from '../errors.js';
import { openSocketClient, readAnswer, submitLine } from '../socket/index.js';

/** One job per line of `text`: its fields, with the line number for messages. */
export function parseJobLines(
  text: string,
  file: string,
): { line: number; fields: Record<string, string> }[] {
  const out: { line: number; fields: Record<string, string> }[] = [];
  text.split('\n').forEach((raw, i) => {
    const words = raw
      .trim()
      .split(/[ \t]+/)
      .filter(Boolean);
    if (!words.length || words[0]!.startsWith('#')) return;
    const fields: Record<string, string> = Object.create(null);
    for (const w of words) {
      const eq = w.indexOf('=');
      if (eq < 0 && fields.type === undefined) {
        fields.type = w;
        continue;
      }
      if (eq < 1) throw new JobdirError(`${file}, line ${i + 1}: "${w}" is not key=value`);
      if (w.slice(eq + 1).startsWith('@'))
        throw new JobdirError(`${file}, line ${i + 1}: files cannot be sent in a bulk submission`);
      try {
        fields[w.slice(0, eq)] = decodeURIComponent(w.slice(eq + 1));
      } catch {
        throw new JobdirError(
          `${file}, line ${i + 1}: the value of ${w.slice(0, eq)} is not valid percent-encoding`,
        );
      }
    }
    out.push({ line: i + 1, fields });
  });
  if (!out.length) throw new JobdirError(`${file} holds no job (one per line: TYPE key=value …)`);
  return out;
}

/** Submit every job of `file`; 0 when all were accepted, 1 when any was refused. */
export async function submitFile(
  file: string,
  to: { url?: string; socket?: string },
): Promise<number> {
  const text = file === '-' ? await readStdin() : await fs.readFile(file, 'utf8');
  const jobs = parseJobLines(text, file === '-' ? 'standard input' : file);
  let refused = 0;
  const say = (line: number, r: { id: string } | { error: string }) => {
    if ('id' in r) process.stdout.write(`${r.id}\n`);
    else {
      refused++;
      process.stderr.write(`${file}, line ${line}: not accepted: ${r.error}\n`);
    }
  };
  if (to.socket) {
    const client = await openSocketClient(to.socket);
    try {
      // Sent without waiting: the backend commits the submissions waiting together in one round.
      const replies = await Promise.all(
        jobs.map(({ fields }) =>
          client.send(submitLine({ submitter: `local:${userInfo().username}`, ...fields })),
        ),
      );
      replies.forEach((r, i) => {
        const { ok, text } = readAnswer(r);
        say(jobs[i]!.line, ok ? { id: text } : { error: text });
      });
    } finally {
      client.close();
    }
  } else {
    if (!to.url) throw new JobdirError('jobdir submit needs --url URL or --socket PATH');
    const answers = await createClient({ url: to.url }).submitMany(jobs.map((j) => j.fields));
    answers.forEach((a, i) =>
      say(
        jobs[i]!.line,
        'id' in a
          ? a
          : {
              error: a.error.fields
                ? Object.entries(a.error.fields)
                    .map(([k, v]) => `${k}: ${v}`)
                    .join('; ')
                : (a.error.message ?? 'refused'),
            },
      ),
    );
  }
  return refused ? 1 : 0;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
