import { promises as fs } from 'node:fs';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createWriteStream } from 'node:fs';
import { ApiError, createClient, type JobStatus, type Submission } from '../client/index.js';
import { JobdirError } from '../errors.js';
import { STATES } from '../states.js';
import type { Command } from './commands.js';
import { submitFile } from './submit-many.js';
import { submitOverSocket } from './submit-socket.js';

/** Parse `key=value` and `key=@path` (a file to upload) arguments. */
export async function parseAssignments(args: string[]): Promise<Submission> {
  const out: Submission = {};
  for (const a of args) {
    const eq = a.indexOf('=');
    if (eq < 1) throw new JobdirError(`"${a}" is not key=value (use key=@FILE to upload a file)`);
    const key = a.slice(0, eq);
    const value = a.slice(eq + 1);
    out[key] = value.startsWith('@')
      ? {
          filename: basename(value.slice(1)),
          data: new Uint8Array(await fs.readFile(value.slice(1))),
        }
      : value;
  }
  return out;
}

const describe = (s: JobStatus) =>
  `${s.state}${s.queue_position ? ` (${s.queue_position} ahead)` : ''}${s.progress ? ` ${s.progress.fraction !== null ? `${Math.round(s.progress.fraction * 100)}% ` : ''}${s.progress.message}` : ''}`;

/**
 * `jobdir submit --url URL [--wait] [--out DIR] key=value… key=@FILE…`: submit a job to a
 * running service through its JSON API; with --wait, poll with backoff and download the
 * result files into DIR (default ./ID). Exit 0 when the job completed, 1 when it failed.
 */
export const submitCommand: Command = {
  usage:
    '--url URL [--wait] [--out DIR] [--poll SECONDS] key=value… key=@FILE… | --socket PATH [--wait] TYPE key=value… | (--url URL | --socket PATH) --file FILE (one job per line: TYPE key=value…; - for stdin)',
  help: "submit a job to a service's API; --wait polls until done and downloads the results",
  options: {
    url: { type: 'string' },
    socket: { type: 'string' },
    wait: { type: 'boolean' },
    out: { type: 'string' },
    poll: { type: 'string' },
    file: { type: 'string' },
  },
  async run({ values, args }) {
    if (values.file !== undefined) {
      if (args.length || values.wait)
        throw new JobdirError(
          'jobdir submit --file takes the jobs from the file only (no key=value, no --wait)',
        );
      return submitFile(values.file as string, {
        url: values.url as string | undefined,
        socket: values.socket as string | undefined,
      });
    }
    if (values.socket)
      return submitOverSocket(values.socket as string, args, {
        wait: values.wait === true,
        pollMs: values.poll === undefined ? 1000 : Number(values.poll) * 1000,
      });
    const url = values.url as string | undefined;
    if (!url) throw new JobdirError("jobdir submit needs --url URL (the service's address)");
    const api = createClient({ url });
    let created;
    try {
      created = await api.submit(await parseAssignments(args));
    } catch (err) {
      if (err instanceof ApiError && Object.keys(err.fields).length) {
        for (const [k, v] of Object.entries(err.fields)) process.stderr.write(`  ${k}: ${v}\n`);
        throw new JobdirError('the service did not accept the job (see above)');
      }
      throw err;
    }
    process.stdout.write(`${created.id}\n`);
    process.stderr.write(
      `submitted job ${created.id}: ${new URL(created.links.results, url).href}\n`,
    );
    if (!values.wait) return 0;
    let last = '';
    const minDelayMs = values.poll === undefined ? 1000 : Number(values.poll) * 1000;
    const done = await api.wait(created.id, {
      minDelayMs,
      maxDelayMs: Math.max(minDelayMs, 30_000),
      onStatus: (s) => {
        const line = describe(s);
        if (line !== last) process.stderr.write(`${created.id}: ${line}\n`);
        last = line;
      },
    });
    if (done.state !== STATES.COMPLETED) {
      process.stderr.write(
        `job ${done.id} ${done.state}${done.failure ? `: ${done.failure}` : ''}\n`,
      );
      return 1;
    }
    if (done.result) process.stdout.write(`${done.result}\n`);
    const dir = (values.out as string | undefined) ?? done.id;
    await fs.mkdir(dir, { recursive: true });
    for (const file of done.files) {
      const res = await api.download(done.id, file.name);
      const target = join(dir, basename(file.name));
      await pipeline(
        Readable.fromWeb(res.body! as import('node:stream/web').ReadableStream),
        createWriteStream(target),
      );
      process.stderr.write(`downloaded ${target} (${file.size} bytes)\n`);
    }
    return 0;
  },
};
