import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { escapeHtml, type JobOutcome } from 'jobdir';
import { OUT_FORMATS } from './formats.js';

/**
 * The results page of a clustalo job: the alignment in a monospaced block that scrolls
 * sideways (long lines stay lines), with the conservation line under each block in the
 * CLUSTAL formats and a key to its symbols. A very long alignment is cut, with a note;
 * every file is offered for download below it by the page itself.
 */

/** Show at most this much of the alignment on the page. */
const SHOW_BYTES = 256 * 1024;

/** The first `max` bytes of a regular file of the job directory (never through a symlink). */
function head(dir: string, name: string, max: number): { text: string; cut: boolean } | null {
  let fd: number;
  try {
    fd = openSync(
      join(dir, name),
      constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK,
    );
  } catch {
    return null;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return null;
    const buf = Buffer.alloc(Math.min(st.size, max));
    const n = readSync(fd, buf, 0, buf.length, 0);
    return { text: buf.subarray(0, n).toString('utf8'), cut: st.size > max };
  } finally {
    closeSync(fd);
  }
}

const KEY =
  '<p class="key"><code>*</code> identical in every sequence, <code>:</code> strongly similar, <code>.</code> weakly similar (the conservation line under each block).</p>';

/** The results of a completed clustalo job, as trusted HTML (every byte of the file escaped). */
export function showAlignment(job: JobOutcome): { html: string } {
  const fmt = OUT_FORMATS[job.inputs.outfmt ?? ''] ?? OUT_FORMATS.clustal_num!;
  const aln = head(job.dir, fmt.file, SHOW_BYTES);
  if (!aln) return { html: '<p>The alignment file is missing; see the tool output below.</p>' };
  const count = /^Read (\d+) sequences/m.exec(job.stdout)?.[1];
  return {
    html: [
      `<h2>${escapeHtml(fmt.label)}</h2>`,
      count ? `<p>${count} sequences aligned.</p>` : '',
      `<pre class="alignment" style="font-family:ui-monospace,monospace;overflow-x:auto;white-space:pre;line-height:1.25">${escapeHtml(aln.text)}</pre>`,
      aln.cut
        ? `<p>The alignment is longer than ${SHOW_BYTES / 1024} KiB: download the file <code>${escapeHtml(fmt.file)}</code> for the rest.</p>`
        : '',
      fmt.conservation ? KEY : '',
    ].join('\n'),
  };
}
