import { Readable } from 'node:stream';
import type { ReadStream } from 'node:fs';
import type { Config } from '../config/index.js';
import { NotFoundError } from '../errors.js';
import type { Service } from '../service/types.js';
import { STATES } from '../states.js';
import { getJob, openResultFile, type Store } from '../store/index.js';
import { assertViewable } from './view.js';

/**
 * GET a result file of job `id` (the page's /jobs/:id/files/:name and the API's): a file
 * the job type lets users download, of a completed or failed job, as a download. Archived:
 * GoneError, as for its page; anything else: NotFoundError (not saying which check failed).
 */
export async function downloadResultFile(
  o: { cfg: Config; service: Service; store: Store },
  id: string,
  name: string,
): Promise<Response> {
  const job = await getJob(o.store, id);
  assertViewable(job);
  const type = o.service.jobTypes.find((t) => t.name === job.settings.type);
  const file =
    job.state === STATES.COMPLETED || job.state === STATES.FAILED
      ? await openResultFile(job, name, type?.downloads, o.cfg.web.maxDownloadBytes)
      : null;
  if (!file) throw new NotFoundError(`Job ${job.id} has no file with this name to download.`);
  return fileResponse(file, name);
}

/** The response for one result file: always a download, never rendered by the browser. */
export function fileResponse(file: { stream: ReadStream; size: number }, name: string): Response {
  return new Response(Readable.toWeb(file.stream) as ReadableStream, {
    headers: {
      'content-type': 'application/octet-stream',
      'content-length': String(file.size),
      'content-disposition': `attachment; filename="${name.replace(/[^A-Za-z0-9._-]/g, '_')}"`,
      'x-content-type-options': 'nosniff',
      'cache-control': 'private, no-store',
    },
  });
}
