/**
 * One check of an API submission (src/web/api/submission.ts), derived from the field rules:
 * its shape problems are exactly what its OpenAPI schema says of a body, and with the field
 * rules' own it answers what the schema check followed by validateSubmission answered before
 * it replaced them — every field's message, their order and the status — on random bodies.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { InputError } from '../src/errors.js';
import { defineService, field, type Service } from '../src/service/index.js';
import { type Upload, validateSubmission } from '../src/service/validate.js';
import { validate } from '../src/web/api/schema.js';
import { shapeProblems, submitSchema, validateApiSubmission } from '../src/web/api/submission.js';
import { idsIn, ROOT } from './helpers.js';
import { startTestServer, type TestServer } from './server.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 3000);

const two = defineService({
  name: 'two',
  title: 'Two types',
  email: 'required',
  jobTypes: [
    {
      name: 'align',
      fields: {
        seq: field.string({ maxLength: 10 }),
        mode: field.choice(['fast', 'slow'], { default: 'fast' }),
        n: field.integer({ min: 1, max: 9, required: false }),
        upload: field.file({ maxBytes: 4, required: false }),
      },
      run: () => ['/bin/true'],
    },
    {
      name: 'fold',
      fields: {
        n: field.integer({ min: 1, max: 9 }),
        x: field.number({ min: -1.5, max: 2 }),
        flag: field.boolean(),
        to: field.email({ required: false }),
        note: field.string({ multiline: true, required: false }),
      },
      validate: (inputs) => (inputs.n === '7' ? { n: 'is unlucky' } : undefined),
      run: () => ['/bin/true'],
    },
  ],
});

const upload = (name: string, bytes: number): Upload => ({
  filename: name,
  type: 'text/plain',
  data: new Uint8Array(bytes),
});

/** Keys a client might send: the reserved ones, every field, strangers and built-in names. */
const key = fc.constantFrom(
  'type',
  'email',
  'after',
  'seq',
  'mode',
  'n',
  'upload',
  'x',
  'flag',
  'to',
  'note',
  'bogus',
  '__proto__',
  'toString',
  'k'.repeat(70),
);
/** Values of every JSON type, near every limit, and (for forms) uploads. */
const value = fc.oneof(
  fc.constantFrom(
    'align',
    'fold',
    '',
    'nope',
    'fast',
    ' fast ',
    'slow',
    '3',
    ' 3 ',
    '7',
    '2.5',
    '1e1',
    'abc',
    'true',
    'on',
    'a@b.test',
    ' a@b.test ',
    'not an address',
    'bcdfghjkmnpq',
    'a\nb',
    'x'.repeat(10),
    ` ${'x'.repeat(10)} `,
    'x'.repeat(11),
    `${'x'.repeat(250)}@b.test`,
    ` ${'a'.repeat(248)}@b.test `,
    'b'.repeat(41),
  ),
  fc.string({ maxLength: 12 }),
  fc.integer({ min: -20, max: 20 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0.5, 1e21, -0, 7, 123456789012345680),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom<unknown>(
    [],
    ['a'],
    [1, 2],
    {},
    { a: 1 },
    { data: 1 },
    { data: 'x', filename: 'y' },
  ),
  fc.constantFrom(upload('in.txt', 2), upload('big.txt', 5), upload('x'.repeat(45), 1)),
);
const body = fc.array(fc.tuple(key, value), { maxLength: 6 }).map((pairs) => {
  const b: Record<string, unknown> = {};
  for (const [k, v] of pairs)
    Object.defineProperty(b, k, { value: v, enumerable: true, writable: true, configurable: true });
  return b;
});

/** What the API answered before: the schema's problems, with validateSubmission's winning. */
function before_(service: Service, sent: Record<string, unknown>) {
  const asSchemaSees = Object.fromEntries(
    Object.entries(sent).map(([k, v]) => [k, isUpload(v) ? v.filename : v]),
  );
  const shape = validate(submitSchema(service), asSchemaSees);
  const values: Record<string, string | Upload> = Object.create(null);
  for (const [k, v] of Object.entries(sent))
    if (k !== 'after') values[k] = isUpload(v) ? v : String(v);
  try {
    validateSubmission(service, values);
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    if (!Object.keys(shape).length) return outcome(err);
    const both = new InputError({ ...shape, ...err.fields });
    both.status = err.status;
    return outcome(both);
  }
  return Object.keys(shape).length ? outcome(new InputError(shape)) : 'valid';
}
const isUpload = (v: unknown): v is Upload =>
  typeof v === 'object' && v !== null && (v as Upload).data instanceof Uint8Array;
const outcome = (err: InputError) => ({
  status: err.status,
  message: err.message,
  fields: Object.entries(err.fields),
});
function now(service: Service, sent: Record<string, unknown>) {
  try {
    validateApiSubmission(service, sent);
    return 'valid';
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    return outcome(err);
  }
}

describe('an API submission is checked once, by the rules its schema is derived from', () => {
  test("the shape problems are the schema's, in its order, for random bodies", () => {
    fc.assert(
      fc.property(body, (b) => {
        const asSchemaSees = Object.fromEntries(
          Object.entries(b).map(([k, v]) => [k, isUpload(v) ? v.filename : v]),
        );
        assert.deepEqual(
          Object.entries(shapeProblems(two, b)),
          Object.entries(validate(submitSchema(two), asSchemaSees)),
        );
      }),
      { numRuns: RUNS },
    );
  });

  test('every message, its order and the status are what the schema check and validateSubmission gave', () => {
    fc.assert(
      fc.property(body, (b) => {
        assert.deepEqual(now(two, b), before_(two, b));
      }),
      { numRuns: RUNS },
    );
  });

  test('a few by name: the rules of the value win, the shape speaks where they are silent', () => {
    const fields = (b: unknown) => {
      try {
        validateApiSubmission(two, b);
        return {};
      } catch (err) {
        return (err as InputError).fields;
      }
    };
    // A number where text is due: the value rule accepts "5", the shape does not.
    assert.deepEqual(fields({ seq: 5, email: 'a@b.test' }), { seq: 'must be string, not integer' });
    // Both speak: the value rule's words.
    assert.deepEqual(fields({ type: 'fold', n: 'abc', x: 0, email: 'a@b.test' }), {
      n: 'must be a whole number (such as 42), not "abc"',
    });
    // The shape outside a job type's parameters first: then no parameter's JSON type is looked at.
    assert.deepEqual(fields({ seq: 5, email: 'x'.repeat(300) }), {
      email: 'is longer than 254 characters',
    });
    assert.deepEqual(fields([1]), { body: 'must be object, not array' });
    assert.deepEqual(fields({ seq: 'A', email: 'a@b.test', after: 1 }), {
      after: 'must be string, not integer',
    });
  });

  test('in a bulk element, `after` is refused once the shape holds', () => {
    const bulk = (b: unknown) => {
      try {
        return validateApiSubmission(two, b, { bulk: true }).valid.type.name;
      } catch (err) {
        return (err as InputError).fields;
      }
    };
    assert.deepEqual(bulk({ seq: 'A', email: 'a@b.test', after: 'bcdfghjkmnpq' }), {
      after: 'cannot be used in a bulk request; submit that job alone',
    });
    assert.deepEqual(bulk({ seq: 5, email: 'a@b.test', after: 'bcdfghjkmnpq' }), {
      seq: 'must be string, not integer',
    });
    assert.equal(bulk({ seq: 'A', email: 'a@b.test' }), 'align');
  });
});

describe('over HTTP', () => {
  let svc: TestServer;
  before(async () => {
    svc = await startTestServer(
      { general: { service: join(ROOT, 'test/fixtures/uploads.ts') } },
      { webOnly: true },
    );
  });
  after(() => svc.close());

  test('a JSON object carrying `data` is a value of the wrong type, not an upload: 400, never a 500', async () => {
    for (const sent of [{ structure: { data: 1 } }, { structure: 'a', extra: { data: [1] } }]) {
      const res = await fetch(`${svc.url}/api/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(sent),
      });
      assert.equal(res.status, 400, JSON.stringify(sent));
      const { error } = (await res.json()) as { error: { fields: Record<string, string> } };
      assert.equal(error.fields.structure, 'must be an uploaded file', JSON.stringify(sent));
    }
    assert.deepEqual(await idsIn(svc.root, 'incoming'), []);
  });
});
