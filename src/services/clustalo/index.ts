import { defineService, field, type JobContext, type JobOutcome } from 'jobdir';
import { checkFasta, MAX_FASTA_CHARS, normalizeFasta } from './fasta.js';
import { OUT_FORMATS, programOutput, toNexus } from './formats.js';
import { showAlignment } from './render.js';

/**
 * Clustal Omega, Debian's `clustalo`, as EBI runs it: the parameters of EBI's clustalo
 * tool under EBI's names (so EBI's client scripts work against /jdispatcher/clustalo),
 * result files named like EBI's result types, and the alignment shown on the results page.
 */

const bool = (v: string | undefined) => v === 'true';

/**
 * The form's example: the first 80 residues of hemoglobin alpha and beta and of myoglobin,
 * human and horse (UniProt P69905, P01958, P68871, P02062, P02144, P68082).
 */
const GLOBINS = `>sp|P69905|HBA_HUMAN Hemoglobin subunit alpha (human), residues 1-80
MVLSPADKTNVKAAWGKVGAHAGEYGAEALERMFLSFPTTKTYFPHFDLSHGSAQVKGHGKKVADALTNAVAHVDDMPNA
>sp|P01958|HBA_HORSE Hemoglobin subunit alpha (horse), residues 1-80
MVLSAADKTNVKAAWSKVGGHAGEYGAEALERMFLGFPTTKTYFPHFDLSHGSAQVKAHGKKVGDALTLAVGHLDDLPGA
>sp|P68871|HBB_HUMAN Hemoglobin subunit beta (human), residues 1-80
MVHLTPEEKSAVTALWGKVNVDEVGGEALGRLLVVYPWTQRFFESFGDLSTPDAVMGNPKVKAHGKKVLGAFSDGLAHLD
>sp|P02062|HBB_HORSE Hemoglobin subunit beta (horse), residues 1-80
MVQLSGEEKAAVLALWDKVNEEEVGGEALGRLLVVYPWTQRFFDSFGDLSNPGAVMGNPKVKAHGKKVLHSFGEGVHHLD
>sp|P02144|MYG_HUMAN Myoglobin (human), residues 1-80
MGLSDGEWQLVLNVWGKVEADIPGHGQEVLIRLFKGHPETLEKFDKFKHLKSEDEMKASEDLKKHGATVLTALGGILKKK
>sp|P68082|MYG_HORSE Myoglobin (horse), residues 1-80
MGLSDGEWQQVLNVWGKVEADIAGHGQEVLIRLFTGHPETLEKFDKFKHLKTEAEMKASEDLKKHGTVVLTALGGILKKK
`;
const SEQUENCE_FILE = 'sequence.txt';
const RANGE = { min: -1, max: 5 };

/** The sequences to align: pasted text, else the uploaded file; checked either way. */
async function sequences(job: JobContext): Promise<string> {
  const text = job.inputs.sequence
    ? job.inputs.sequence
    : await job.readFile(job.inputs.sequence_file!);
  const bad = checkFasta(text);
  if (bad) throw new Error(`The ${job.inputs.sequence ? 'sequence' : 'uploaded file'} ${bad}.`);
  return normalizeFasta(text);
}

/** Clustal Omega's argv for a job's inputs (the program runs in the job directory). */
function clustaloArgv({ inputs: i, config }: JobContext): string[] {
  const s = config.ini.service ?? {};
  const full = !bool(i.mbed) || bool(i.dismatout);
  return [
    s.clustalo || 'clustalo',
    '-i',
    SEQUENCE_FILE,
    '--infmt=fa',
    `--seqtype=${i.stype === 'protein' ? 'Protein' : i.stype!.toUpperCase()}`,
    ...OUT_FORMATS[i.outfmt!]!.args,
    '-o',
    programOutput(i.outfmt!),
    '--force',
    '-v',
    `--threads=${s.threads || '1'}`,
    `--output-order=${i.order === 'input' ? 'input-order' : 'tree-order'}`,
    `--iterations=${i.iterations}`,
    ...(i.gtiterations !== '-1' ? [`--max-guidetree-iterations=${i.gtiterations}`] : []),
    ...(i.hmmiterations !== '-1' ? [`--max-hmm-iterations=${i.hmmiterations}`] : []),
    ...(bool(i.dealign) ? ['--dealign'] : []),
    ...(full ? ['--full'] : []),
    ...(!bool(i.mbediteration) ? ['--full-iter'] : []),
    ...(bool(i.guidetreeout) ? ['--guidetree-out=tree.dnd'] : []),
    ...(bool(i.dismatout) ? ['--distmat-out=distmat.txt'] : []),
  ];
}

/** The service: one job type, clustalo. */
export default defineService({
  name: 'clustalo',
  title: 'Clustal Omega',
  description:
    "Multiple sequence alignment of proteins, DNA or RNA with Clustal Omega, with the parameters of EBI's Clustal Omega service.",
  email: 'optional',
  jobTypes: [
    {
      name: 'clustalo',
      title: 'Align sequences',
      description: 'Paste two or more sequences in FASTA format, or upload a FASTA file.',
      fields: {
        sequence: field.string({
          label: 'Sequences (FASTA)',
          multiline: true,
          maxLength: MAX_FASTA_CHARS,
          required: false,
          requiredNote: 'or upload a file below: one of the two is required',
          help: 'Two or more sequences in FASTA format: a line ">name", then the residues. At most 4000 sequences.',
        }),
        sequence_file: field.file({
          label: 'FASTA file',
          maxBytes: MAX_FASTA_CHARS,
          required: false,
          requiredNote: 'instead of pasting the sequences above',
          help: 'A file of two or more sequences in FASTA format.',
        }),
        stype: field.choice(['protein', 'dna', 'rna'], {
          label: 'Sequence type',
          default: 'protein',
        }),
        outfmt: field.choice(Object.keys(OUT_FORMATS), {
          label: 'Output format',
          default: 'clustal_num',
          help: 'clustal and clustal_num show the conservation line under each block.',
        }),
        dealign: field.boolean({
          label: 'Dealign input sequences',
          help: 'Remove any existing alignment (gaps) from the input first.',
        }),
        mbed: field.boolean({
          label: 'mBed-like clustering guide tree',
          default: true,
          help: 'Guide tree from a sample of the sequences (fast for many sequences); off: full distance matrix.',
        }),
        mbediteration: field.boolean({
          label: 'mBed-like clustering iteration',
          default: true,
          help: 'Use mBed-like clustering during the iterations.',
        }),
        iterations: field.integer({
          label: 'Number of combined iterations',
          min: 0,
          max: 5,
          default: 0,
        }),
        gtiterations: field.integer({
          label: 'Max guide tree iterations',
          ...RANGE,
          default: -1,
          help: '-1: as many as the combined iterations.',
        }),
        hmmiterations: field.integer({
          label: 'Max HMM iterations',
          ...RANGE,
          default: -1,
          help: '-1: as many as the combined iterations.',
        }),
        order: field.choice(['aligned', 'input'], {
          label: 'Order',
          default: 'aligned',
          help: 'aligned: as in the guide tree; input: as given.',
        }),
        guidetreeout: field.boolean({ label: 'Output guide tree', default: true }),
        dismatout: field.boolean({
          label: 'Output distance matrix',
          help: 'Computes the full distance matrix (as with mBed off).',
        }),
      },
      example: { sequence: GLOBINS, stype: 'protein' },
      validate: (inputs) => {
        if (inputs.sequence && inputs.sequence_file)
          return { sequence: 'paste the sequences or upload a file, not both' };
        if (!inputs.sequence && !inputs.sequence_file)
          return {
            sequence:
              'is required: paste two or more sequences in FASTA format, or upload a FASTA file',
          };
        const bad = inputs.sequence ? checkFasta(inputs.sequence) : null;
        return bad ? { sequence: bad } : undefined;
      },
      preprocess: async (job) => {
        await job.writeFile(SEQUENCE_FILE, await sequences(job));
      },
      run: clustaloArgv,
      postprocess: async (job: JobOutcome) => {
        if (job.ok && job.inputs.outfmt === 'nexus')
          await job.writeFile(
            OUT_FORMATS.nexus!.file,
            toNexus(await job.readFile(programOutput('nexus')), job.inputs.stype!),
          );
      },
      downloads: ['aln-*', 'tree.dnd', 'distmat.txt', SEQUENCE_FILE, 'stdout.txt', 'stderr.txt'],
      fileLabels: {
        ...Object.fromEntries(Object.values(OUT_FORMATS).map((f) => [f.file, f.label])),
        'tree.dnd': 'Guide tree',
        'distmat.txt': 'Distance matrix',
        [SEQUENCE_FILE]: 'Input sequences',
        'stdout.txt': 'Tool output',
        'stderr.txt': 'Tool error output',
      },
      render: showAlignment,
    },
  ],
});
