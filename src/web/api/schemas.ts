import { maxLengthOf } from '../../service/fields.js';
import type { Field, JobType } from '../../service/types.js';
import { ALL_STATES, EXPIRED } from '../../states.js';
import { ID_ALPHABET } from '../../store/index.js';
import type { Schema } from './schema.js';

/** A job id in a path: a mismatch is looked up all the same and answered like an unknown job (404), never 400. */
export const JobId: Schema = {
  type: 'string',
  pattern: `^[${ID_ALPHABET}]{12,40}$`,
  description: 'Job id: random consonants (≥ 51 random bits).',
  'x-miss': true,
};

/** A result file name in a path (the store decides what may be served). */
export const FileName: Schema = {
  type: 'string',
  maxLength: 255,
  description: "A file name from the job's `files` list.",
  'x-miss': true,
};

/** Every error: a stable code and the message the HTML page would show. */
export const ErrorBody = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: {
          type: 'string',
          enum: [
            'invalid_input',
            'not_found',
            'gone',
            'conflict',
            'unavailable',
            'unauthorized',
            'rate_limited',
            'too_large',
            'unsupported_media_type',
            'csrf',
            'internal_error',
          ],
        },
        message: { type: 'string', description: 'For people: what happened and what to do.' },
        fields: {
          type: 'object',
          additionalProperties: { type: 'string' },
          description: 'invalid_input: field → what is wrong with it.',
        },
      },
    },
  },
} as const satisfies Schema;

const str = { type: 'string' } as const satisfies Schema;
const when = { type: 'string', format: 'date-time', nullable: true } as const satisfies Schema;

/** The links a job resource carries. */
const Links = {
  type: 'object',
  required: ['self', 'results'],
  properties: {
    self: { type: 'string', description: 'This status, as JSON.' },
    results: { type: 'string', description: 'The results page for people.' },
    cancel: { type: 'string' },
  },
} as const satisfies Schema;

/** What POST /api/jobs answers. */
export const JobCreated = {
  type: 'object',
  required: ['id', 'state', 'links'],
  properties: { id: str, state: { type: 'string', enum: ALL_STATES }, links: Links },
} as const satisfies Schema;

/** A job's status (GET /api/jobs/{id}). */
export const JobStatus = {
  type: 'object',
  required: [
    'id',
    'state',
    'dispatcher_status',
    'wes_state',
    'type',
    'progress',
    'queue_position',
    'submitted',
    'started',
    'finished',
    'failure',
    'result',
    'files',
    'links',
    'parent',
    'children',
  ],
  properties: {
    id: str,
    state: {
      type: 'string',
      enum: ALL_STATES,
      description: 'jobdir state (see the table in the description).',
    },
    dispatcher_status: {
      type: 'string',
      enum: ['QUEUED', 'RUNNING', 'FINISHED', 'ERROR', 'FAILURE', 'NOT_FOUND'],
    },
    wes_state: {
      type: 'string',
      enum: [
        'QUEUED',
        'INITIALIZING',
        'RUNNING',
        'COMPLETE',
        'EXECUTOR_ERROR',
        'SYSTEM_ERROR',
        'CANCELED',
        'DELETED',
      ],
    },
    type: str,
    progress: {
      type: 'object',
      nullable: true,
      required: ['fraction', 'message'],
      properties: {
        fraction: { type: 'number', nullable: true, minimum: 0, maximum: 1 },
        message: str,
      },
    },
    queue_position: {
      type: 'integer',
      nullable: true,
      description: 'Jobs ahead of this one while queued.',
    },
    submitted: { type: 'string', format: 'date-time' },
    started: when,
    finished: when,
    failure: { type: 'string', nullable: true, description: 'Why the job failed, in plain words.' },
    result: {
      type: 'string',
      nullable: true,
      description: "The service's one-line summary of a completed job, when it gives one as text.",
    },
    files: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'size', 'url'],
        properties: { name: str, size: { type: 'integer' }, url: str },
      },
    },
    links: Links,
    parent: {
      type: 'string',
      nullable: true,
      description: 'The job that started this one (a child or follow-on job).',
    },
    children: {
      type: 'array',
      description: 'The jobs this job started, in the order it asked for them.',
      items: {
        type: 'object',
        required: ['id', 'type', 'state', 'links'],
        properties: {
          id: str,
          type: str,
          state: {
            type: 'string',
            enum: [...ALL_STATES, EXPIRED],
            description: 'expired: the child was deleted.',
          },
          links: Links,
        },
      },
    },
  },
} as const satisfies Schema;

/** GET /api/jobs: the jobs of the address a my-jobs token proves. */
export const JobList = {
  type: 'object',
  required: ['email', 'jobs'],
  properties: {
    email: str,
    jobs: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'state', 'type', 'submitted', 'links'],
        properties: {
          id: str,
          state: { type: 'string', enum: ALL_STATES },
          type: str,
          submitted: str,
          links: Links,
        },
      },
    },
  },
} as const satisfies Schema;

/** One parameter as described to clients. */
const Parameter = {
  type: 'object',
  required: ['name', 'type', 'label', 'required'],
  properties: {
    name: str,
    type: {
      type: 'string',
      enum: ['integer', 'number', 'string', 'choice', 'boolean', 'email', 'file'],
    },
    label: str,
    help: str,
    required: { type: 'boolean' },
    default: { type: ['string', 'number', 'boolean'] },
    choices: { type: 'array', items: str },
    min: { type: 'number' },
    max: { type: 'number' },
    max_length: { type: 'integer' },
    max_bytes: { type: 'integer' },
    accept: { type: 'array', items: str },
    multiline: { type: 'boolean' },
  },
} as const satisfies Schema;

/** A job type and its parameters. */
export const JobTypeInfo = {
  type: 'object',
  required: ['name', 'title', 'parameters'],
  properties: {
    name: str,
    title: str,
    description: str,
    parameters: { type: 'array', items: Parameter },
  },
} as const satisfies Schema;

/** GET /api/parameters. */
export const ServiceInfo = {
  type: 'object',
  required: ['service', 'title', 'email', 'types'],
  properties: {
    service: str,
    title: str,
    description: str,
    email: { type: 'string', enum: ['required', 'optional'] },
    types: { type: 'array', items: JobTypeInfo },
  },
} as const satisfies Schema;

/** Describe one field for clients (like the dispatcher's parameterdetails). */
export function describeField(name: string, f: Field): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name,
    type: f.kind,
    label: f.label ?? name,
    required: f.required !== false,
  };
  if (f.help) out.help = f.help;
  if ('default' in f && f.default !== undefined) out.default = f.default;
  if (f.kind === 'choice') out.choices = [...f.choices];
  if ((f.kind === 'integer' || f.kind === 'number') && f.min !== undefined) out.min = f.min;
  if ((f.kind === 'integer' || f.kind === 'number') && f.max !== undefined) out.max = f.max;
  if (f.kind === 'string') {
    out.max_length = maxLengthOf(f);
    if (f.multiline) out.multiline = true;
  }
  if (f.kind === 'file') {
    out.max_bytes = f.maxBytes;
    if (f.accept) out.accept = [...f.accept];
  }
  return out;
}

/** Describe a job type for clients. */
export function describeType(t: JobType): Record<string, unknown> {
  return {
    name: t.name,
    title: t.title ?? t.name,
    ...(t.description ? { description: t.description } : {}),
    parameters: Object.entries(t.fields).map(([n, f]) => describeField(n, f)),
  };
}

/** The body of POST /api/jobs, derived from the field rules (submission.ts). */
export { submitSchema } from './submission.js';
