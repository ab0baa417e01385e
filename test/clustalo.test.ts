/**
 * The Clustal Omega service (src/services/clustalo) running Debian's real clustalo behind
 * a real listening server, driven through the Job Dispatcher routes the way EBI's Perl
 * and Python clients drive EBI's clustalo service. With JOBDIR_EBI_PERL_CLIENT set to
 * EBI's perl/clustalo.pl (webservice-clients; needs libwww-perl and libxml-simple-perl),
 * that very client is run against the server too.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { parseFasta } from '../src/services/clustalo/fasta.js';
import { ROOT, tempDir, waitFor, JOBDIR_BIN } from './helpers.js';
import { startTestServer, type TestServer } from './server.js';
import { xmlIn } from './xml-simple.js';

const run = promisify(execFile);
const SERVICE = join(ROOT, 'src/services/clustalo/index.ts');
const crlf = (s: string) => s.replace(/\n/g, '\r\n');
const PROTEINS = crlf(`>sp|P69905|HBA_HUMAN Hemoglobin subunit alpha
MVLSPADKTNVKAAWGKVGAHAGEYGAEALERMFLSFPTTKTYFPHFDLSHGSAQVKGHGKKVADALTNAVAHVDDMPNALSALSDLHAHKLRVDPVNFKLLSHCLLVTLAAHLPAEFTPAVHASLDKFLASVSTVLTSKYR
>sp|P68871|HBB_HUMAN Hemoglobin subunit beta
MVHLTPEEKSAVTALWGKVNVDEVGGEALGRLLVVYPWTQRFFESFGDLSTPDAVMGNPKVKAHGKKVLGAFSDGLAHLDNLKGTFATLSELHCDKLHVDPENFRLLGNVLVCVLAHHFGKEFTPPVQAAYQKVVAGVANALAHKYH
>sp|P02144|MYG_HUMAN Myoglobin
MGLSDGEWQLVLNVWGKVEADIPGHGQEVLIRLFKGHPETLEKFDKFKHLKSEDEMKASEDLKKHGATVLTALGGILKKKGHHEAEIKPLAQSHATKHKIPVKYLEFISECIIQVLQSKHPGDFGADAQGAMNKALELFRKDMASNYKELGFQG
`);
const DNA = crlf(`>dna1
ATGGTGCTGTCTCCTGCCGACAAGACCAACGTCAAGGCCGCCTGGGGTAAGGTCGGCGCG
>dna2
ATGGTGCATCTGACTCCTGAGGAGAAGTCTGCCGTTACTGCCCTGTGGGGCAAGGTGAAC
>dna3
ATGGGGCTCAGCGACGGGGAATGGCAGTTGGTGCTGAACGTCTGGGGGAAGGTGGAGGCT
`);
/** The parameters EBI's Perl client posts for clustalo (its defaults filled in by load_params), plus its own fields. */
const perlFields = (sequence: string, extra: Record<string, string> = {}) => ({
  sequence,
  email: '',
  stype: 'protein',
  guidetreeout: 'true',
  addformats: 'false',
  dismatout: 'false',
  dealign: 'false',
  mbed: 'true',
  mbediteration: 'true',
  iterations: '0',
  gtiterations: '-1',
  hmmiterations: '-1',
  outfmt: 'clustal_num',
  order: 'aligned',
  debugLevel: '0',
  maxJobs: '1',
  ...extra,
});

describe('Clustal Omega through the Job Dispatcher routes', () => {
  let svc: TestServer;
  let base: string;
  before(async () => {
    svc = await startTestServer({
      general: { service: SERVICE },
      web: { submit_limit: '100000/1h' },
    });
    base = `${svc.url}/jdispatcher/clustalo`;
  });
  after(() => svc.close());

  /** Submit, poll to the end, and fetch every result type: { status, types, results }. */
  async function align(fields: Record<string, string>, path = '/run') {
    const res = await fetch(base + path, { method: 'POST', body: new URLSearchParams(fields) });
    const id = await res.text();
    assert.equal(res.status, 200, id);
    const status = await waitFor(
      async () => {
        const s = await (await fetch(`${base}/status/${id}`)).text();
        return s === 'QUEUED' || s === 'RUNNING' ? null : s;
      },
      60_000,
      'clustalo to end',
    );
    const types = (
      xmlIn(await (await fetch(`${base}/resulttypes/${id}`)).text()) as {
        type: Record<string, string>[];
      }
    ).type;
    const results: Record<string, string> = {};
    for (const t of types)
      results[t.identifier!] = await (await fetch(`${base}/result/${id}/${t.identifier}`)).text();
    return { id, status, types, results };
  }

  test('three proteins in CLUSTAL with numbers (the default): alignment with its conservation line, guide tree, input, tool output', async () => {
    const { id, status, types, results } = await align(perlFields(PROTEINS));
    assert.equal(status, 'FINISHED');
    assert.deepEqual(
      types.map((t) => `${t.identifier}.${t.fileSuffix}`),
      ['out.txt', 'error.txt', 'aln-clustal_num.clustal_num', 'sequence.txt', 'tree.dnd'],
    );
    assert.deepEqual(
      types.map((t) => t.label),
      [
        'Tool output',
        'Tool error output',
        'Alignment in CLUSTAL format with base/residue numbering',
        'Input sequences',
        'Guide tree',
      ],
    );
    const aln = results['aln-clustal_num']!;
    assert.match(aln, /^CLUSTAL O\(1\.2\.\d+\) multiple sequence alignment/);
    for (const name of ['HBA_HUMAN', 'HBB_HUMAN', 'MYG_HUMAN'])
      assert.match(aln, new RegExp(`sp\\|\\w+\\|${name}\\s+[A-Z-]+\\s+\\d+$`, 'm'), name);
    assert.match(aln, /^ {10,}[*:. ]*\*[*:. ]*$/m, 'a conservation line with identical columns');
    assert.match(results.tree!, /HBA_HUMAN:[\d.]+/);
    assert.match(results.out!, /Read 3 sequences \(type: Protein\)/);
    assert.equal(
      results.sequence,
      PROTEINS.replace(/\r\n/g, '\n'),
      'the input, with plain line ends',
    );
    const page = await (await fetch(`${svc.url}/jobs/${id}`)).text();
    // The alignment read back, in blocks of 60 columns (groups of 10) among the narrower ones.
    const wide = /<div class="aln-w aln-w60">([\s\S]*?)<\/div><div class="aln-w /.exec(page)?.[1];
    const text = (wide ?? '').replace(/<[^>]+>/g, '');
    assert.match(text, /^MYG_HUMAN {2,}-?MGLSDGEWQ LVLNVWGKVE /m);
    assert.match(text, /^ {10,}[*:. ]*\*[*:. ]*$/m, 'the page shows the conservation line');
    assert.match(page, /<ul class="tree" aria-label="Guide tree">/);
    assert.match(page, /identical in every sequence/);
    for (const f of ['aln-clustal_num.clustal_num', 'tree.dnd', 'sequence.txt', 'stdout.txt'])
      assert.match(
        page,
        new RegExp(`href="/jobs/${id}/files/${f.replace('.', '\\.')}" download`),
        f,
      );
  });

  test('three proteins in FASTA, NEXUS, STOCKHOLM and MSF', async () => {
    const checks: Record<string, [string, (text: string) => void]> = {
      fa: [
        'aln-fasta',
        (t) => {
          const p = parseFasta(t);
          assert.ok('records' in p);
          assert.equal(p.records.length, 3);
          assert.equal(
            new Set(p.records.map((r) => r.residues.length)).size,
            1,
            'aligned: one length',
          );
        },
      ],
      nexus: [
        'aln-nexus',
        (t) => {
          assert.match(t, /^#NEXUS\n/);
          assert.match(t, /DIMENSIONS NTAX=3 NCHAR=\d+;/);
          assert.match(t, /DATATYPE=PROTEIN/);
          assert.match(t, /^sp\|P02144\|MYG_HUMAN +-?MGLSDGEW/m);
          assert.match(t, /;\nEND;\n$/);
        },
      ],
      stockholm: [
        'aln-stockholm',
        (t) => {
          assert.match(t, /^# STOCKHOLM 1\.0/);
          assert.match(t, /^\/\/$/m);
        },
      ],
      msf: ['aln-msf', (t) => assert.match(t, /MSF: +\d+ +Type: P/)],
    };
    for (const [outfmt, [identifier, check]] of Object.entries(checks)) {
      const { status, results } = await align(
        perlFields(PROTEINS, { outfmt, guidetreeout: 'false' }),
      );
      assert.equal(status, 'FINISHED', outfmt);
      assert.ok(
        results[identifier],
        `${outfmt} gives ${identifier}: ${Object.keys(results).join(', ')}`,
      );
      check(results[identifier]!);
      assert.ok(!('tree' in results), 'no guide tree when not asked for');
    }
  });

  test('three DNA sequences, posted like the Python client (/run/, True, an email): input order, guide tree and distance matrix', async () => {
    const { status, results } = await align(
      {
        email: 'me@example.test',
        sequence: DNA,
        stype: 'dna',
        guidetreeout: 'True',
        addformats: 'false',
        dismatout: 'True',
        dealign: 'false',
        mbed: 'True',
        mbediteration: 'True',
        iterations: '1',
        gtiterations: '-1',
        hmmiterations: '1',
        outfmt: 'clustal',
        order: 'input',
      },
      '/run/',
    );
    assert.equal(status, 'FINISHED');
    const aln = results['aln-clustal']!;
    assert.deepEqual(
      [...aln.matchAll(/^(dna\d) /gm)].slice(0, 3).map((m) => m[1]),
      ['dna1', 'dna2', 'dna3'],
      'input order',
    );
    assert.match(aln, /^ {10,}[*:. ]*\*[*:. ]*$/m);
    assert.match(results.out!, /type: DNA/);
    assert.match(results.tree!, /dna1:[\d.]+/);
    assert.match(results.distmat!, /^3\ndna1 +0\.0+ /);
  });

  test('input that is not FASTA, one sequence, an empty one or digits are refused at /run with the reason (400 XML)', async () => {
    const cases: [string, RegExp][] = [
      [
        'hello world\r\nthis is not FASTA\r\n',
        /sequence: is not in FASTA format: each sequence starts with a line ">name", but line 1 is "hello world"/,
      ],
      ['>one\nMKV\n', /holds 1 sequence; at least 2 are needed/],
      ['>a\nMKV\n>b\n\n', /sequence "b" has no residues/],
      [
        '>a\n1 MKVL\n>b\nMKVL\n',
        /line 2 \(in sequence "a"\) has characters that are not residues or gaps: "1"/,
      ],
      ['>\nMKV\n>b\nMKV\n', /line 1 starts a sequence \(">"\) but gives no name/],
      ['', /sequence: is required: paste two or more sequences/],
    ];
    for (const [sequence, why] of cases) {
      const res = await fetch(`${base}/run`, {
        method: 'POST',
        body: new URLSearchParams(perlFields(sequence)),
      });
      assert.equal(res.status, 400, sequence);
      assert.match((xmlIn(await res.text()) as { description: string }).description, why);
    }
    const bad = await fetch(`${base}/run`, {
      method: 'POST',
      body: new URLSearchParams(perlFields(PROTEINS, { outfmt: 'pdf', iterations: '9' })),
    });
    assert.match(
      await bad.text(),
      /outfmt: must be one of clustal, clustal_num, fa, msf, nexus, phylip, selex, stockholm, vienna; iterations: must be at most 5/,
    );
  });

  test('an uploaded file that is not FASTA fails the job (FAILURE) with the reason in its error result', async () => {
    const fd = new FormData();
    for (const [k, v] of Object.entries(perlFields(''))) fd.set(k, v);
    fd.set('sequence_file', new Blob(['just some words\n']), 'notes.txt');
    const res = await fetch(`${base}/run`, { method: 'POST', body: fd });
    const id = await res.text();
    assert.equal(res.status, 200, id);
    const status = await waitFor(
      async () => {
        const s = await (await fetch(`${base}/status/${id}`)).text();
        return s === 'QUEUED' || s === 'RUNNING' ? null : s;
      },
      30_000,
      'the job to end',
    );
    assert.equal(status, 'FAILURE');
    assert.match(
      await (await fetch(`${base}/result/${id}/error`)).text(),
      /The uploaded file is not in FASTA format/,
    );
  });

  test("parameterdetails lists EBI's values and defaults", async () => {
    const outfmt = xmlIn(await (await fetch(`${base}/parameterdetails/outfmt`)).text()) as {
      type: string;
      values: { value: Record<string, string>[] };
    };
    assert.equal(outfmt.type, 'STRING');
    assert.deepEqual(
      outfmt.values.value.filter((v) => v.defaultValue === 'true').map((v) => v.value),
      ['clustal_num'],
    );
    assert.equal(outfmt.values.value.length, 9);
    const gt = xmlIn(await (await fetch(`${base}/parameterdetails/guidetreeout/`)).text()) as {
      type: string;
      values: { value: Record<string, string>[] };
    };
    assert.equal(gt.type, 'BOOLEAN');
    assert.deepEqual(
      gt.values.value.map((v) => [v.value, v.defaultValue]),
      [
        ['true', 'true'],
        ['false', 'false'],
      ],
    );
    const ids = (xmlIn(await (await fetch(`${base}/parameters/`)).text()) as { id: string[] }).id;
    for (const p of [
      'sequence',
      'stype',
      'outfmt',
      'dealign',
      'mbed',
      'mbediteration',
      'iterations',
      'gtiterations',
      'hmmiterations',
      'order',
      'guidetreeout',
      'dismatout',
    ])
      assert.ok(ids.includes(p), p);
  });

  test(
    "EBI's own Perl client (perl/clustalo.pl) aligns against this server when given",
    {
      skip: process.env.JOBDIR_EBI_PERL_CLIENT
        ? false
        : "set JOBDIR_EBI_PERL_CLIENT to EBI's perl/clustalo.pl to run it",
    },
    async () => {
      const dir = tempDir();
      await fs.writeFile(join(dir, 'in.fa'), PROTEINS);
      const env = { ...process.env, http_proxy: '', HTTP_PROXY: '', no_proxy: '*' };
      const perl = (...args: string[]) =>
        run('perl', [process.env.JOBDIR_EBI_PERL_CLIENT!, '--baseUrl', base, ...args], {
          cwd: dir,
          env,
          timeout: 60_000,
        });
      assert.match((await perl('--params')).stdout, /^guidetreeout$/m);
      assert.match((await perl('--paramDetail', 'outfmt')).stdout, /^clustal_num\tdefault$/m);
      const done = await perl(
        '--email',
        'me@example.test',
        '--stype',
        'protein',
        '--pollFreq',
        '1',
        '--outfile',
        'res',
        'in.fa',
      );
      assert.match(done.stderr, /FINISHED/);
      assert.match(
        await fs.readFile(join(dir, 'res.aln-clustal_num.clustal_num'), 'utf8'),
        /^CLUSTAL O/,
      );
      assert.match(await fs.readFile(join(dir, 'res.tree.dnd'), 'utf8'), /HBA_HUMAN/);
      assert.match(await fs.readFile(join(dir, 'res.out.txt'), 'utf8'), /Read 3 sequences/);
    },
  );
});

test('jobdir check-config accepts src/services/clustalo/clustalo.ini, the file `jobdir serve --config` is given', async () => {
  const { stdout } = await run(
    'node',
    [JOBDIR_BIN, 'check-config', '--config', join(ROOT, 'src/services/clustalo/clustalo.ini')],
    { timeout: 30_000 },
  );
  assert.match(stdout, /OK \(service clustalo, job types: clustalo\)/);
});
