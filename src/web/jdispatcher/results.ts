import { Readable } from 'node:stream';
import type { JobType } from '../../service/types.js';
import { STATES } from '../../states.js';
import {
  JOB_FILES,
  type Job,
  listResultFiles,
  matchesAny,
  openResultFile,
} from '../../store/index.js';
import { el, xmlDocument } from './xml.js';

/**
 * A finished job's files as the Job Dispatcher's result types. Every job has `out` (the
 * program's standard output) and `error` (its standard error; for a failed job, first the
 * plain-words reason), even when the program never ran, so a client always sees at least
 * two types (EBI's Perl client cannot read a list of one). Every other downloadable file
 * is one type named by its name up to the first dot (`aln-clustal.aln` is `aln-clustal`
 * with suffix `aln`); two files with the same stem keep their whole names.
 */

/** One result type: what `resulttypes` lists and `result` serves. */
export interface ResultType {
  identifier: string;
  label: string;
  description: string;
  mediaType: string;
  fileSuffix: string;
  /** The downloadable file behind it, or null (an `out`/`error` with no such file). */
  file: string | null;
  /** Text served before the file (a failed job's reason in `error`). */
  preface: string;
}

const TEXT = new Set([
  'txt',
  'log',
  'out',
  'err',
  'csv',
  'tsv',
  'dnd',
  'ph',
  'tree',
  'nwk',
  'newick',
  'aln',
  'clustal',
  'clustal_num',
  'fa',
  'fasta',
  'fas',
  'msf',
  'nex',
  'nexus',
  'phy',
  'phylip',
  'selex',
  'sto',
  'stockholm',
  'vienna',
  'pim',
  'dist',
  'distmat',
  'pdb',
  'ent',
  'cif',
  'ini',
  'md',
]);
const BINARY: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  pdf: 'application/pdf',
  gz: 'application/gzip',
  zip: 'application/zip',
  json: 'application/json',
};
/** Names a client can put in a URL and a file name as they are. */
const SAFE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/** The media type of a file with this suffix (text/plain for the text formats of science). */
function mediaTypeOf(suffix: string): string {
  const s = suffix.toLowerCase();
  return BINARY[s] ?? (TEXT.has(s) ? 'text/plain' : 'application/octet-stream');
}

/** The label a service gave a file (`fileLabels`, exact names or globs), if any. */
function labelOf(type: JobType | undefined, name: string): string | undefined {
  const labels = type?.fileLabels ?? {};
  return (
    labels[name] ??
    Object.entries(labels).find(([p]) => p.includes('*') && matchesAny(name, [p]))?.[1]
  );
}

/** The result types of a completed or failed job, `out` and `error` first. */
export async function resultTypes(
  job: Job,
  type: JobType | undefined,
  maxBytes: number,
): Promise<ResultType[]> {
  const files = (await listResultFiles(job, type?.downloads, maxBytes))
    .map((f) => f.name)
    .filter((n) => SAFE.test(n));
  const failed = job.state === STATES.FAILED;
  const reason = failed ? `${job.result.failure ?? 'The job failed.'}\n` : '';
  const has = (n: string) => (files.includes(n) ? n : null);
  const out: ResultType[] = [
    {
      identifier: 'out',
      label: labelOf(type, JOB_FILES.STDOUT) ?? 'Tool output',
      description: 'What the program wrote to its standard output',
      mediaType: 'text/plain',
      fileSuffix: 'txt',
      file: has(JOB_FILES.STDOUT),
      preface: '',
    },
    {
      identifier: 'error',
      label: labelOf(type, JOB_FILES.STDERR) ?? 'Tool error output',
      description: failed
        ? 'Why the job failed, then what the program wrote to its standard error'
        : 'What the program wrote to its standard error',
      mediaType: 'text/plain',
      fileSuffix: 'txt',
      file: has(JOB_FILES.STDERR),
      preface: reason,
    },
  ];
  const rest = files.filter((n) => n !== JOB_FILES.STDOUT && n !== JOB_FILES.STDERR);
  const stem = (n: string) => n.split('.')[0]!;
  const taken = new Map<string, number>([
    ['out', 1],
    ['error', 1],
  ]);
  for (const n of rest) taken.set(stem(n), (taken.get(stem(n)) ?? 0) + 1);
  for (const name of rest) {
    const dot = name.indexOf('.');
    const suffix = dot > 0 ? name.slice(name.lastIndexOf('.') + 1) : 'txt';
    const identifier = taken.get(stem(name)) === 1 ? stem(name) : name;
    const label = labelOf(type, name) ?? name;
    out.push({
      identifier,
      label,
      description: `${label} (the file ${name})`,
      mediaType: mediaTypeOf(suffix),
      fileSuffix: suffix,
      file: name,
      preface: '',
    });
  }
  return out;
}

/** GET /resulttypes/{id}: `<types><type><identifier/><label/>…</type>…</types>` (no child named name, key or id). */
export function resultTypesXml(types: ResultType[]): string {
  return xmlDocument(
    el(
      'types',
      ...types.map((t) =>
        el(
          'type',
          el('identifier', t.identifier),
          el('label', t.label),
          el('description', t.description),
          el('mediaType', t.mediaType),
          el('fileSuffix', t.fileSuffix),
        ),
      ),
    ),
  );
}

/** The body of one result type: its preface, then its file (read with the download rules). */
export async function resultBody(
  job: Job,
  type: JobType | undefined,
  t: ResultType,
  maxBytes: number,
): Promise<{ body: ReadableStream; size: number } | null> {
  const head = Buffer.from(t.preface, 'utf8');
  const file = t.file ? await openResultFile(job, t.file, type?.downloads, maxBytes) : null;
  if (t.file && !file) return null;
  async function* parts() {
    if (head.length) yield head;
    if (file) for await (const chunk of file.stream) yield chunk as Buffer;
  }
  return {
    body: Readable.toWeb(Readable.from(parts())) as ReadableStream,
    size: head.length + (file?.size ?? 0),
  };
}
