import { Readable } from 'node:stream';
import type { ReadStream } from 'node:fs';

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
