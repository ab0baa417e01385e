/**
 * The Clustal Omega results page's parts, on clustalo's own output: the CLUSTAL and FASTA
 * alignments read back, names shortened, Clustal X's colour rules, the guide tree (Newick)
 * as nested lists, and the viewer's blocks.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAlignedFasta, parseClustal, shortNames } from '../src/services/clustalo/alignment.js';
import { clustalxClasses } from '../src/services/clustalo/colours.js';
import { leaves, parseNewick, treeHtml } from '../src/services/clustalo/tree.js';
import { alignmentViewer } from '../src/services/clustalo/viewer.js';

/** What Debian's clustalo 1.2.4 wrote for the form's example (--outfmt=clu --resno), and its guide tree. */
const CLUSTAL = `CLUSTAL O(1.2.4) multiple sequence alignment


sp|P69905|HBA_HUMAN      -MVLSPADKTNVKAAWGKVGAHAGEYGAEALERMFLSFPTTKTYFPHFDL------SHGS\t53
sp|P01958|HBA_HORSE      -MVLSAADKTNVKAAWSKVGGHAGEYGAEALERMFLGFPTTKTYFPHFDL------SHGS\t53
sp|P68871|HBB_HUMAN      MVHLTPEEKSAVTALWGKVNV--DEVGGEALGRLLVVYPWTQRFFESFGDLSTPDAVMGN\t58
sp|P02062|HBB_HORSE      MVQLSGEEKAAVLALWDKVNE--EEVGGEALGRLLVVYPWTQRFFDSFGDLSNPGAVMGN\t58
sp|P02144|MYG_HUMAN      -MGLSDGEWQLVLNVWGKVEADIPGHGQEVLIRLFKGHPETLEKFDKFKHLKSEDEMKAS\t59
sp|P68082|MYG_HORSE      -MGLSDGEWQQVLNVWGKVEADIAGHGQEVLIRLFTGHPETLEKFDKFKHLKTEAEMKAS\t59
                          : *:  :   *   *.**       * *.* *::  .* *   *  *          ..

sp|P69905|HBA_HUMAN      AQVKGHGKKVADALTNAVAHVDDMPNA\t80
sp|P01958|HBA_HORSE      AQVKAHGKKVGDALTLAVGHLDDLPGA\t80
sp|P68871|HBB_HUMAN      PKVKAHGKKVLGAFSDGLAHLD-----\t80
sp|P02062|HBB_HORSE      PKVKAHGKKVLHSFGEGVHHLD-----\t80
sp|P02144|MYG_HUMAN      EDLKKHGATVLTALGGILKKK------\t80
sp|P68082|MYG_HORSE      EDLKKHGTVVLTALGGILKKK------\t80
                          .:* **  *  ::   : :       
`;
const TREE = `(
(
sp|P02144|MYG_HUMAN:0.04375
,
sp|P68082|MYG_HORSE:0.04375
):0.316406
,
(
(
sp|P69905|HBA_HUMAN:0.06875
,
sp|P01958|HBA_HORSE:0.06875
):0.276562
,
(
sp|P68871|HBB_HUMAN:0.10625
,
sp|P02062|HBB_HORSE:0.10625
):0.239062
):0.0148438
)
;
`;

test('a CLUSTAL alignment (numbers after a tab) is read back: names, rows of one length, the conservation line in its columns', () => {
  const a = parseClustal(CLUSTAL);
  assert.ok(a);
  assert.deepEqual(a.names.slice(0, 2), ['sp|P69905|HBA_HUMAN', 'sp|P01958|HBA_HORSE']);
  assert.equal(a.names.length, 6);
  assert.deepEqual(new Set(a.rows.map((r) => r.length)), new Set([87]));
  assert.equal(
    a.rows[0]!.replace(/-/g, ''),
    'MVLSPADKTNVKAAWGKVGAHAGEYGAEALERMFLSFPTTKTYFPHFDLSHGSAQVKGHGKKVADALTNAVAHVDDMPNA',
  );
  assert.equal(a.conservation!.length, 87);
  assert.equal(a.conservation!.slice(0, 12), ' : *:  :   *');
  assert.equal(a.conservation!.slice(60, 66), ' .:* *');
});

test('text that is not a whole CLUSTAL alignment is not read back (the page shows the file instead)', () => {
  assert.equal(parseClustal('not clustal'), null);
  const lines = CLUSTAL.split('\n');
  // A cut file: the last block lacks its last sequences.
  assert.equal(parseClustal(lines.slice(0, -4).join('\n')), null);
  // A second block naming another sequence.
  assert.equal(parseClustal(CLUSTAL.replace(/^sp\|P69905\|HBA_HUMAN( +AQVK)/m, 'other$1')), null);
});

test('aligned FASTA is read back; rows of different lengths are not an alignment', () => {
  const a = parseAlignedFasta('>a desc\nMK-V\n>b\nMKLV\n');
  assert.deepEqual(a, { names: ['a', 'b'], rows: ['MK-V', 'MKLV'], conservation: null });
  assert.equal(parseAlignedFasta('>a\nMKV\n>b\nMKLV\n'), null);
  assert.equal(parseAlignedFasta('>a\nMKV\n'), null);
});

test('names are shortened to sit beside the residues: UniProt names by their entry name, long ones cut in the middle, look-alikes numbered', () => {
  assert.deepEqual(shortNames(['sp|P69905|HBA_HUMAN', 'tr|Q9XYZ1|Q9XYZ1_HORSE', 'short']), [
    'HBA_HUMAN',
    'Q9XYZ1_HORSE',
    'short',
  ]);
  assert.deepEqual(
    shortNames(['Homo_sapiens_hemoglobin_alpha_1', 'Homo_sapiens_hemoglobin_beta_1']),
    ['Homo_sapi…in_alpha_1', 'Homo_sapi…bin_beta_1'],
  );
  const same = shortNames([
    'Homo_sapiens_xyz_1234567890_abc_1',
    'Homo_sapiens_qq_99_1234567890_abc_1',
  ]);
  assert.deepEqual(same, ['Homo_sapiens_xyz_…#1', 'Homo_sapiens_qq_9…#2']);
});

test("Clustal X's colours: a residue is coloured by its class only where its column is conserved enough", () => {
  /** The classes of one column given top to bottom. */
  const column = (residues: string) => clustalxClasses([...residues]).join('');
  assert.equal(column('LLLG'), 'BBBO', 'hydrophobic over 60%; glycine always');
  assert.equal(column('LLKK'), '....', 'half hydrophobic, half positive: neither');
  assert.equal(column('KKKR'), 'RRRR', 'positive over 60%');
  assert.equal(column('CCCCCCCA'), 'PPPPPPPB', 'cysteine over 85%: pink');
  assert.equal(column('CCLL'), 'BBBB', 'cysteine in a hydrophobic column: blue');
  assert.equal(
    column('EEQD'),
    'MMGM',
    'E and Q over 50%: E magenta, Q green; E and D over 50%: D magenta',
  );
  assert.equal(column('NNAA'), '....', 'asparagine at 50%, not over');
  assert.equal(column('NNNA'), 'GGG.', 'asparagine over 50%');
  assert.equal(column('STSA'), 'GGG.', 'S and T over 50%');
  assert.equal(column('HYLL'), 'CCBB', 'H and Y in a hydrophobic column: cyan');
  assert.equal(column('P-P-'), 'Y.Y.', 'proline always; gaps never');
  assert.equal(
    clustalxClasses(['mk', 'MK']).join(' '),
    clustalxClasses(['MK', 'MK']).join(' '),
    'case does not matter',
  );
});

test('the guide tree (Newick) is read and listed: one item per sequence, groups nested, branch lengths', () => {
  const t = parseNewick(TREE);
  assert.ok(t);
  assert.deepEqual(leaves(t), [
    'sp|P02144|MYG_HUMAN',
    'sp|P68082|MYG_HORSE',
    'sp|P69905|HBA_HUMAN',
    'sp|P01958|HBA_HORSE',
    'sp|P68871|HBB_HUMAN',
    'sp|P02062|HBB_HORSE',
  ]);
  assert.equal(t.children[0]!.length, 0.316406);
  const html = treeHtml(TREE)!;
  assert.equal((html.match(/class="leaf"/g) ?? []).length, 6);
  assert.match(
    html,
    /title="sp\|P69905\|HBA_HUMAN">HBA_HUMAN<\/span> <span class="bl">0\.0688<\/span>/,
  );
  assert.deepEqual(leaves(parseNewick("('a b':1,('it''s',c)d:2);")!), ['a b', "it's", 'c']);
  for (const bad of ['(a,b)', '(a,b;', '((a,b);', '(a,,b);', '', '(a:x,b);'])
    assert.equal(parseNewick(bad), null, bad);
});

test('the viewer writes each block width, narrowest shown by default, with the line lengths its container queries use; colours only for proteins', () => {
  const a = parseClustal(CLUSTAL)!;
  const html = alignmentViewer(a, true);
  for (const w of [60, 40, 20, 10]) assert.match(html, new RegExp(`<div class="aln-w aln-w${w}">`));
  assert.match(html, /\.aln-w\{display:none\}\.aln-w10\{display:block\}/);
  // name (9) + 2 + 60 residues in 6 groups (65) + 2 + count (2) = 80 characters, and one to spare.
  assert.match(
    html,
    /@container \(min-width:81ch\)\{\.aln-w\{display:none\}\.aln-w60\{display:block\}\}/,
  );
  const block = /<div class="aln-w aln-w60"><div class="aln-block"[^>]*>([\s\S]*?)<\/div>/.exec(
    html,
  )![1]!;
  const lines = block.replace(/<[^>]+>/g, '').split('\n');
  assert.equal(
    lines[0],
    'HBA_HUMAN  -MVLSPADKT NVKAAWGKVG AHAGEYGAEA LERMFLSFPT TKTYFPHFDL ------SHGS  53',
  );
  assert.equal(
    lines[6],
    `           ${a.conservation!.slice(0, 60).replace(/(.{10})(?=.)/g, '$1 ')}`,
    'the conservation line under the residues, in the same groups',
  );
  assert.match(lines[6]!, /^ {12}: \*:  : {4}\*/);
  assert.match(html, /id="aln-colour" checked/);
  const dna = alignmentViewer(a, false);
  assert.doesNotMatch(dna, /id="aln-colour"|class="a[A-Z]"/);
});
