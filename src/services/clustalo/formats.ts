import { parseFasta } from './fasta.js';

/**
 * The alignment formats of EBI's clustalo tool (its `outfmt` values), each with the
 * Clustal Omega option that writes it and the file it lands in. Files are named like
 * EBI's result types (`aln-clustal_num`, …) so that the Job Dispatcher's resulttypes
 * list them under the identifiers EBI's users know. Clustal Omega writes no NEXUS: that
 * one is made from the FASTA alignment after the run (toNexus).
 */

/** One outfmt: its label, the clustalo arguments and the file of the alignment. */
export interface OutFormat {
  label: string;
  args: string[];
  file: string;
  /** The format shows a conservation line under each block (* : .). */
  conservation?: boolean;
}

/** The outfmt values in EBI's order, and how each is made. */
export const OUT_FORMATS: Record<string, OutFormat> = {
  clustal: {
    label: 'Alignment in CLUSTAL format',
    args: ['--outfmt=clu'],
    file: 'aln-clustal.aln',
    conservation: true,
  },
  clustal_num: {
    label: 'Alignment in CLUSTAL format with base/residue numbering',
    args: ['--outfmt=clu', '--resno'],
    file: 'aln-clustal_num.clustal_num',
    conservation: true,
  },
  fa: { label: 'Alignment in FASTA format', args: ['--outfmt=fa'], file: 'aln-fasta.fasta' },
  msf: { label: 'Alignment in MSF format', args: ['--outfmt=msf'], file: 'aln-msf.msf' },
  nexus: { label: 'Alignment in NEXUS format', args: ['--outfmt=fa'], file: 'aln-nexus.nex' },
  phylip: {
    label: 'Alignment in PHYLIP format',
    args: ['--outfmt=phy'],
    file: 'aln-phylip.phylip',
  },
  selex: { label: 'Alignment in SELEX format', args: ['--outfmt=selex'], file: 'aln-selex.selex' },
  stockholm: {
    label: 'Alignment in STOCKHOLM format',
    args: ['--outfmt=st'],
    file: 'aln-stockholm.sto',
  },
  vienna: {
    label: 'Alignment in VIENNA format',
    args: ['--outfmt=vie'],
    file: 'aln-vienna.vienna',
  },
};

/** The file clustalo itself writes for `outfmt` (NEXUS goes through FASTA). */
export function programOutput(outfmt: string): string {
  return outfmt === 'nexus' ? OUT_FORMATS.fa!.file : OUT_FORMATS[outfmt]!.file;
}

/** A NEXUS name: the first word of the header, quoted when NEXUS needs it. */
function nexusName(header: string): string {
  const word = header.split(/\s+/)[0]!;
  return /^[A-Za-z0-9_.|]+$/.test(word) ? word : `'${word.replace(/'/g, "''")}'`;
}

/** A FASTA alignment as a NEXUS DATA block (interleaved in blocks of 60 columns). */
export function toNexus(fasta: string, stype: string): string {
  const parsed = parseFasta(fasta);
  if ('error' in parsed)
    throw new Error(`the FASTA alignment could not be read for NEXUS: ${parsed.error}`);
  const rows = parsed.records.map((r) => ({
    name: nexusName(r.header),
    seq: r.residues.replace(/\./g, '-'),
  }));
  const nchar = Math.max(...rows.map((r) => r.seq.length));
  const width = Math.max(...rows.map((r) => r.name.length)) + 2;
  const datatype = stype === 'protein' ? 'PROTEIN' : stype.toUpperCase();
  const lines = [
    '#NEXUS',
    '',
    'BEGIN DATA;',
    `  DIMENSIONS NTAX=${rows.length} NCHAR=${nchar};`,
    `  FORMAT DATATYPE=${datatype} MISSING=? GAP=- INTERLEAVE;`,
    'MATRIX',
  ];
  for (let at = 0; at < nchar; at += 60) {
    if (at > 0) lines.push('');
    for (const r of rows) lines.push(`${r.name.padEnd(width)}${r.seq.slice(at, at + 60)}`);
  }
  lines.push(';', 'END;', '');
  return lines.join('\n');
}
