/**
 * Residue colours of Clustal X's default protein scheme. A residue is coloured by its class
 * only where its column is conserved enough for that class: each rule below gives the
 * share of the column (all sequences, gaps counted) that must be exceeded, for a group of
 * residues taken together or for any single residue of a list. Glycine and proline are
 * always coloured; anything else, and every gap, is left plain.
 */

/** The classes, each with its Clustal X colour (black text on each keeps at least 4.5:1). */
export const CLASSES = {
  B: { name: 'hydrophobic', colour: '#80a0f0' },
  R: { name: 'positive charge', colour: '#f01505' },
  M: { name: 'negative charge', colour: '#c048c0' },
  G: { name: 'polar', colour: '#15c015' },
  P: { name: 'cysteine', colour: '#f08080' },
  O: { name: 'glycine', colour: '#f09048' },
  Y: { name: 'proline', colour: '#c0c000' },
  C: { name: 'aromatic', colour: '#15a4a4' },
} as const;

/** A class letter of CLASSES, or '.' for a residue left plain. */
export type ColourClass = keyof typeof CLASSES | '.';

const HYDROPHOBIC = 'WLVIMAFCHP';

/** The share of one column taken by residues of `group` together. */
type Share = (group: string) => number;

/** Over `limit` for the residues of `group` together. */
const together = (share: Share, limit: number, group: string) => share(group) > limit;
/** Over `limit` for any single residue of `list`. */
const anyOne = (share: Share, limit: number, list: string) =>
  [...list].some((r) => share(r) > limit);

/** The class of residue `r` in a column whose composition `share` gives. */
function classOf(r: string, share: Share): ColourClass {
  const hydrophobic = together(share, 0.6, HYDROPHOBIC);
  const positive = together(share, 0.6, 'KR');
  switch (r) {
    case 'A':
    case 'I':
    case 'L':
    case 'M':
    case 'F':
    case 'W':
    case 'V':
      return hydrophobic ? 'B' : '.';
    case 'C':
      return anyOne(share, 0.85, 'C') ? 'P' : hydrophobic ? 'B' : '.';
    case 'K':
    case 'R':
      return positive || anyOne(share, 0.8, 'KRQ') ? 'R' : '.';
    case 'E':
      return positive || together(share, 0.5, 'QE') || anyOne(share, 0.85, 'EQD') ? 'M' : '.';
    case 'D':
      return positive || anyOne(share, 0.85, 'KRQ') || together(share, 0.5, 'ED') ? 'M' : '.';
    case 'N':
      return together(share, 0.5, 'N') || anyOne(share, 0.85, 'NY') ? 'G' : '.';
    case 'Q':
      return positive || together(share, 0.5, 'QE') || anyOne(share, 0.85, 'QEKR') ? 'G' : '.';
    case 'S':
    case 'T':
      return hydrophobic || together(share, 0.5, 'TS') || anyOne(share, 0.85, 'ST') ? 'G' : '.';
    case 'G':
      return 'O';
    case 'P':
      return 'Y';
    case 'H':
    case 'Y':
      return hydrophobic || anyOne(share, 0.85, 'WYACPQFHILMV') ? 'C' : '.';
    default:
      return '.';
  }
}

/** Each row's class letters, column by column (rows of one length; case does not matter). */
export function clustalxClasses(rows: string[]): string[] {
  const n = rows.length;
  const width = rows[0]?.length ?? 0;
  const out: string[][] = rows.map(() => []);
  const counts = new Map<string, number>();
  for (let col = 0; col < width; col++) {
    counts.clear();
    for (const row of rows) {
      const r = row[col]!.toUpperCase();
      counts.set(r, (counts.get(r) ?? 0) + 1);
    }
    const share: Share = (group) => {
      let c = 0;
      for (const r of group) c += counts.get(r) ?? 0;
      return c / n;
    };
    const memo = new Map<string, ColourClass>();
    rows.forEach((row, i) => {
      const r = row[col]!.toUpperCase();
      let cls = memo.get(r);
      if (cls === undefined) memo.set(r, (cls = classOf(r, share)));
      out[i]!.push(cls);
    });
  }
  return out.map((cells) => cells.join(''));
}
