/**
 * FASTA input for Clustal Omega: line ends made plain (browsers and EBI's clients send
 * CRLF), then checked so that a person learns at once, in words, what is wrong: not
 * FASTA at all, a header without a name, an empty sequence, characters that are not
 * residues, too few or too many sequences.
 */

/** One sequence: its header line (without the >) and its residues (gaps kept). */
export interface FastaRecord {
  header: string;
  residues: string;
}

/** At most this many sequences in one job (EBI's limit). */
export const MAX_SEQUENCES = 4000;
/** At most this many characters of sequence text (EBI's 4 MB), pasted or uploaded. */
export const MAX_FASTA_CHARS = 4_000_000;

const RESIDUES = /^[A-Za-z*.\-]*$/;

/** Text with LF line ends only, no byte-order mark, no trailing blank lines. */
export function normalizeFasta(text: string): string {
  return (
    text
      .replace(/^\uFEFF/, '')
      .replace(/\r\n?/g, '\n')
      .replace(/\s+$/, '') + '\n'
  );
}

/** The records of FASTA text, or the reason it cannot be aligned (a sentence for a person). */
export function parseFasta(text: string): { records: FastaRecord[] } | { error: string } {
  const lines = normalizeFasta(text).split('\n');
  const records: FastaRecord[] = [];
  let lineNo = 0;
  for (const raw of lines) {
    lineNo++;
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('>')) {
      const header = line.slice(1).trim();
      if (header === '')
        return { error: `line ${lineNo} starts a sequence (">") but gives no name after the ">"` };
      records.push({ header, residues: '' });
      continue;
    }
    if (records.length === 0) {
      return {
        error: `is not in FASTA format: each sequence starts with a line ">name", but line ${lineNo} is "${line.slice(0, 40)}${line.length > 40 ? '…' : ''}"`,
      };
    }
    const seq = line.replace(/\s+/g, '');
    if (!RESIDUES.test(seq)) {
      const bad = [...new Set(seq.replace(/[A-Za-z*.\-]/g, ''))]
        .slice(0, 5)
        .map((ch) => `"${ch}"`)
        .join(', ');
      return {
        error: `line ${lineNo} (in sequence "${records.at(-1)!.header.slice(0, 40)}") has characters that are not residues or gaps: ${bad}`,
      };
    }
    records.at(-1)!.residues += seq;
  }
  if (records.length === 0)
    return {
      error:
        'holds no sequences: paste sequences in FASTA format (a line ">name", then the residues)',
    };
  const empty = records.find((r) => r.residues.replace(/[-.*]/g, '') === '');
  if (empty) return { error: `sequence "${empty.header.slice(0, 40)}" has no residues` };
  if (records.length < 2)
    return { error: 'holds 1 sequence; at least 2 are needed for an alignment' };
  if (records.length > MAX_SEQUENCES)
    return { error: `holds ${records.length} sequences; the limit is ${MAX_SEQUENCES}` };
  return { records };
}

/** The reason `text` cannot be aligned, or null when it can. */
export function checkFasta(text: string): string | null {
  if (text.length > MAX_FASTA_CHARS)
    return `is ${text.length} characters long; the limit is ${MAX_FASTA_CHARS}`;
  const parsed = parseFasta(text);
  return 'error' in parsed ? parsed.error : null;
}
