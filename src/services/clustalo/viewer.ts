import { escapeHtml } from 'jobdir';
import type { Alignment } from './alignment.js';
import { shortNames } from './alignment.js';
import { CLASSES, clustalxClasses } from './colours.js';

/**
 * The alignment on the results page, readable at any width without scrolling sideways:
 * blocks of 60, 40, 20 or 10 columns (in groups of 10), each line ending with the count of
 * the sequence's residues so far, the conservation line under each block. Every block
 * width is written once; a container query shows the widest that fits the space there is
 * (no script). Residues are coloured by class (Clustal X) for proteins, with a switch that
 * turns the colours off (CSS only).
 */

const WIDTHS = [60, 40, 20, 10];
/** Past this many cells the alignment is written once (60 columns), without colours. */
const MANY_CELLS = 100_000;

/** One segment of a row: groups of 10 split by a space, runs of one class in one span. */
function segment(residues: string, classes: string | null): string {
  let out = '';
  let open = '';
  for (let j = 0; j < residues.length; j++) {
    const cls = classes ? classes[j]! : '.';
    if (j > 0 && j % 10 === 0) {
      if (open) out += '</span>';
      open = '';
      out += ' ';
    }
    if (cls !== open) {
      if (open) out += '</span>';
      open = cls === '.' ? '' : cls;
      if (open) out += `<span class="a${open}">`;
    }
    out += escapeHtml(residues[j]!);
  }
  return open ? `${out}</span>` : out;
}

/** Spaces for a segment's conservation line: the same groups as the residues above it. */
function groups(text: string): string {
  return text.replace(/(.{10})(?=.)/g, '$1 ');
}

interface Prepared {
  a: Alignment;
  /** Each row's name as it starts every line of the row, padded: made once, written in every block. */
  heads: string[];
  nameWidth: number;
  numberWidth: number;
  classes: string[] | null;
}

/** The lines' length in characters at `width` columns a line. */
function lineChars(p: Prepared, width: number): number {
  return p.nameWidth + 2 + width + Math.ceil(width / 10) - 1 + 2 + p.numberWidth;
}

/** The alignment in blocks of `width` columns. */
function blocks(p: Prepared, width: number): string {
  const { a } = p;
  const length = a.rows[0]!.length;
  const counts = a.rows.map(() => 0);
  const out: string[] = [];
  for (let at = 0; at < length; at += width) {
    const lines = a.rows.map((row, i) => {
      const part = row.slice(at, at + width);
      const residues = part.replace(/[-.]/g, '').length;
      counts[i]! += residues;
      // Every row of a block has the same columns: the counts line up after two spaces.
      const number = residues ? String(counts[i]).padStart(p.numberWidth) : '';
      return `${p.heads[i]}${segment(part, p.classes?.[i]?.slice(at, at + width) ?? null)}  ${number}`;
    });
    if (a.conservation !== null)
      lines.push(
        `${' '.repeat(p.nameWidth + 2)}${escapeHtml(groups(a.conservation.slice(at, at + width)))}`,
      );
    out.push(
      `<div class="aln-block" role="group" aria-label="Columns ${at + 1} to ${Math.min(at + width, length)}">${lines.join('\n')}</div>`,
    );
  }
  return out.join('');
}

/** The style of one alignment: which block width shows at which container width, the colours. */
function style(p: Prepared, widths: number[]): string {
  const rules = [
    '.aln-view{container-type:inline-size;font:14px/1.35 ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace}',
    '@media (max-width:30rem){.aln-view{font-size:13px}}',
    '.aln-key span{display:inline-block;white-space:nowrap;margin:.1rem 0}',
    '.aln-block{white-space:pre;margin:0 0 1.1em;overflow-x:auto}.aln-name{font-weight:600}',
    `.aln-w{display:none}.aln-w${widths.at(-1)}{display:block}`,
  ];
  // Narrow to wide: the last rule that matches (the widest block that fits) wins.
  for (const w of widths.slice(0, -1).reverse())
    rules.push(
      `@container (min-width:${lineChars(p, w) + 1}ch){.aln-w{display:none}.aln-w${w}{display:block}}`,
    );
  if (p.classes)
    for (const [letter, c] of Object.entries(CLASSES))
      rules.push(
        `.aln:has(#aln-colour:checked) .a${letter},.aln-key .a${letter}{background:${c.colour};color:#000}`,
      );
  return `<style>${rules.join('\n')}</style>`;
}

/** The key to the colours, each class in its colour. */
function colourKey(): string {
  const items = Object.entries(CLASSES).map(
    ([letter, c]) => `<span class="a${letter}">&nbsp;${escapeHtml(c.name)}&nbsp;</span>`,
  );
  return `<p class="aln-key help">Colours (Clustal X): ${items.join(' ')}. A residue is coloured only where its column is conserved enough for its class; glycine and proline always.</p>`;
}

/** The viewer's HTML for alignment `a`; `protein` turns on the colours (and their switch). */
export function alignmentViewer(a: Alignment, protein: boolean): string {
  const cells = a.rows.length * a.rows[0]!.length;
  const many = cells > MANY_CELLS;
  const names = shortNames(a.names);
  const longest = Math.max(...a.rows.map((r) => r.replace(/[-.]/g, '').length));
  const nameWidth = Math.max(...names.map((n) => [...n].length));
  const p: Prepared = {
    a,
    heads: names.map(
      (n, i) =>
        `<span class="aln-name" title="${escapeHtml(a.names[i]!)}">${escapeHtml(n)}</span>${' '.repeat(nameWidth - [...n].length + 2)}`,
    ),
    nameWidth,
    numberWidth: String(longest).length,
    classes: protein && !many ? clustalxClasses(a.rows) : null,
  };
  const length = a.rows[0]!.length;
  const widths = many ? [60] : [...new Set(WIDTHS.map((w) => Math.min(w, length)))];
  const views = widths.map((w) => `<div class="aln-w aln-w${w}">${blocks(p, w)}</div>`);
  const renamed = names.some((n, i) => n !== a.names[i]);
  return [
    style(p, widths),
    '<div class="aln wide">',
    p.classes
      ? '<p class="aln-switch"><label><input type="checkbox" id="aln-colour" checked> Colour residues by class</label></p>'
      : '',
    `<div class="aln-view">${views.join('')}</div>`,
    p.classes ? colourKey() : '',
    renamed
      ? `<details class="aln-names"><summary>Full sequence names</summary><ul>${a.names
          .map((n, i) => `<li>${escapeHtml(names[i]!)}: ${escapeHtml(n)}</li>`)
          .join('')}</ul></details>`
      : '',
    '</div>',
  ].join('');
}
