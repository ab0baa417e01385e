import { parseFasta } from './fasta.js';

/**
 * An alignment as the results page shows it, read back from the file Clustal Omega wrote:
 * the CLUSTAL format (with its conservation line) or aligned FASTA. Other formats are shown
 * as the file's text.
 */

/** Sequence names, their aligned rows (one length), and CLUSTAL's conservation line if any. */
export interface Alignment {
  names: string[];
  rows: string[];
  conservation: string | null;
}

const SEQ_LINE = /^(\S+)([ \t]+)([A-Za-z*.-]+)(?:[ \t]+\d+)?[ \t]*$/;
const CONSERVATION = /^[ *:.]*$/;

/** Every row has the alignment's length; there are at least two. */
function whole(a: Alignment): Alignment | null {
  const n = a.rows[0]?.length ?? 0;
  if (a.rows.length < 2 || n === 0 || a.rows.some((r) => r.length !== n)) return null;
  if (a.conservation !== null) a.conservation = a.conservation.padEnd(n).slice(0, n);
  return a;
}

/**
 * Read a CLUSTAL alignment (clustalo --outfmt=clu, with or without --resno): blocks of
 * `name residues [count]` lines, each block followed by its conservation line, whose
 * columns line up with the residues. Null when the text is not such a file.
 */
export function parseClustal(text: string): Alignment | null {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  if (!/^CLUSTAL/.test(lines[0] ?? '')) return null;
  const names: string[] = [];
  const rows: string[] = [];
  let conservation = '';
  let blocks = 0;
  let i = 1;
  while (i < lines.length) {
    if (!SEQ_LINE.test(lines[i]!)) {
      i++;
      continue;
    }
    // One block: its sequence lines in the order of the first block, then the conservation line.
    let k = 0;
    let offset = 0;
    let width = 0;
    while (i < lines.length) {
      const m = SEQ_LINE.exec(lines[i]!);
      if (!m) break;
      const [, name, gap, residues] = m as unknown as [string, string, string, string];
      if (k >= names.length) {
        if (blocks > 0) return null; // a new name after the first block
        names.push(name);
        rows.push('');
      } else if (names[k] !== name) return null;
      rows[k] += residues;
      offset = name.length + gap.length;
      width = residues.length;
      k++;
      i++;
    }
    if (k !== names.length) return null;
    blocks++;
    const line = lines[i] ?? '';
    if (CONSERVATION.test(line)) {
      conservation += line.slice(offset, offset + width).padEnd(width);
      i++;
    } else conservation += ' '.repeat(width);
  }
  return whole({ names, rows, conservation });
}

/** Read aligned FASTA (clustalo --outfmt=fa); null when it is not an alignment. */
export function parseAlignedFasta(text: string): Alignment | null {
  const parsed = parseFasta(text);
  if ('error' in parsed) return null;
  return whole({
    names: parsed.records.map((r) => r.header.split(/\s+/)[0]!),
    rows: parsed.records.map((r) => r.residues.replace(/\./g, '-')),
    conservation: null,
  });
}

/** Names at most this long are shown whole beside the residues. */
export const NAME_WIDTH = 20;

/** A name cut in the middle to NAME_WIDTH characters: its start and its end, which tell names apart. */
function cut(name: string): string {
  if (name.length <= NAME_WIDTH) return name;
  const head = Math.floor((NAME_WIDTH - 1) / 2);
  return `${name.slice(0, head)}…${name.slice(name.length - (NAME_WIDTH - 1 - head))}`;
}

/**
 * Names short enough to sit beside the residues on a phone: a UniProt name
 * (`sp|P69905|HBA_HUMAN`) by its entry name (`HBA_HUMAN`), a longer one cut in the middle.
 * When two would read the same, each gets its number in the alignment instead.
 */
export function shortNames(names: string[]): string[] {
  const short = names.map((n) => cut(/^(?:sp|tr)\|[^|]+\|([^|]+)$/.exec(n)?.[1] ?? n));
  if (new Set(short).size === short.length) return short;
  return names.map((n, i) => {
    const tag = `#${i + 1}`;
    return n.length <= NAME_WIDTH ? n : `${n.slice(0, NAME_WIDTH - tag.length - 1)}…${tag}`;
  });
}
