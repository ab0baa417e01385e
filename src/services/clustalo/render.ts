import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { escapeHtml, type JobOutcome } from 'jobdir';
import { type Alignment, parseAlignedFasta, parseClustal } from './alignment.js';
import { OUT_FORMATS } from './formats.js';
import { treeHtml } from './tree.js';
import { alignmentViewer } from './viewer.js';

/**
 * The results page of a clustalo job: the alignment read back from its file and shown in
 * blocks that fit the page at any width, residues coloured by class for proteins
 * (viewer.ts), the conservation line under each block in the CLUSTAL formats with a key to
 * its symbols, and the guide tree as an indented list (tree.ts). Formats the page cannot
 * read back (MSF, PHYLIP, SELEX, STOCKHOLM, VIENNA), and a very long alignment, are shown as
 * the file's text in a box that scrolls; every file is offered for download below by the
 * page itself.
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
  '<p class="key help"><code>*</code> identical in every sequence, <code>:</code> strongly similar, <code>.</code> weakly similar (the conservation line under each block); the number after a line counts the residues of its sequence so far.</p>';

/** The alignment file read back, for the formats the viewer reads. */
function readBack(outfmt: string, text: string): Alignment | null {
  if (outfmt === 'clustal' || outfmt === 'clustal_num') return parseClustal(text);
  if (outfmt === 'fa' || outfmt === 'nexus') return parseAlignedFasta(text);
  return null;
}

/** The guide tree, when the job wrote one. */
function guideTree(dir: string): string {
  const file = head(dir, 'tree.dnd', 1024 * 1024);
  if (!file || file.cut) return '';
  const html = treeHtml(file.text);
  if (!html) return '';
  return `<h2>Guide tree</h2><p class="help">The order in which Clustal Omega joined the sequences; each number is a branch length.</p>${html}`;
}

/** The results of a completed clustalo job, as trusted HTML (every byte of the files escaped). */
export function showAlignment(job: JobOutcome): { html: string } {
  const outfmt = job.inputs.outfmt ?? '';
  const fmt = OUT_FORMATS[outfmt] ?? OUT_FORMATS.clustal_num!;
  const aln = head(job.dir, fmt.file, SHOW_BYTES);
  if (!aln) return { html: '<p>The alignment file is missing; see the tool output below.</p>' };
  const count = /^Read (\d+) sequences/m.exec(job.stdout)?.[1];
  // NEXUS is made from the FASTA alignment, which is read back instead.
  const source = outfmt === 'nexus' ? head(job.dir, OUT_FORMATS.fa!.file, SHOW_BYTES) : aln;
  const read = source && !source.cut ? readBack(outfmt, source.text) : null;
  return {
    html: [
      `<h2>${escapeHtml(fmt.label)}</h2>`,
      count
        ? `<p>${count} sequences aligned${read ? `, ${read.rows[0]!.length} columns` : ''}.</p>`
        : '',
      read
        ? alignmentViewer(read, job.inputs.stype === 'protein')
        : `<pre class="alignment wide" tabindex="0" aria-label="The alignment file" style="font-family:ui-monospace,monospace;overflow-x:auto;white-space:pre;word-break:normal;line-height:1.25">${escapeHtml(aln.text)}</pre>`,
      aln.cut
        ? `<p>The alignment is longer than ${SHOW_BYTES / 1024} KiB: download the file <code>${escapeHtml(fmt.file)}</code> for the rest.</p>`
        : '',
      fmt.conservation ? KEY : '',
      guideTree(job.dir),
    ].join('\n'),
  };
}
