import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { defineService, field } from '../src/service/index.js';
import { assertEnforceable, validate, type Schema } from '../src/web/api/schema.js';
import {
  ErrorBody,
  JobCreated,
  JobList,
  JobStatus,
  ServiceInfo,
  submitSchema,
} from '../src/web/api/schemas.js';
import { FIXTURE_SERVICE, idsIn } from './helpers.js';
import { startTestServer, type TestServer } from './server.js';

const two = defineService({
  name: 'two',
  title: 'Two types',
  jobTypes: [
    {
      name: 'align',
      fields: {
        seq: field.string({ maxLength: 10 }),
        mode: field.choice(['fast', 'slow'], { default: 'fast' }),
      },
      run: () => ['/bin/true'],
    },
    { name: 'fold', fields: { n: field.integer({ min: 1, max: 9 }) }, run: () => ['/bin/true'] },
  ],
});

describe('the submission schema enforces every constraint it documents, oneOf included', () => {
  const schema = submitSchema(two);
  const problems = (body: unknown) => validate(schema, body);

  test('a body of the first job type may leave out `type`; any other names its type', () => {
    assert.deepEqual(problems({ seq: 'ACGT' }), {});
    assert.deepEqual(problems({ type: 'align', seq: 'ACGT', mode: 'slow', email: 'a@b.test' }), {});
    assert.deepEqual(problems({ type: 'fold', n: 3 }), {});
    assert.deepEqual(problems({ n: 3 }), { n: 'is not a parameter of align', seq: 'is required' });
  });

  test("oneOf: a parameter of another job type, or a job type's missing parameter, is refused", () => {
    assert.deepEqual(problems({ type: 'fold', n: 3, seq: 'A' }), {
      seq: 'is not a parameter of fold',
    });
    assert.deepEqual(problems({ type: 'fold' }), { n: 'is required' });
    assert.deepEqual(problems({ type: 'align', seq: 'A', mode: 'medium' }), {
      mode: 'must be one of fast, slow',
    });
  });

  test('type, enum, maxLength, minimum/maximum and additional values are checked', () => {
    assert.deepEqual(problems({ type: 'nope' }), { type: 'must be one of align, fold' });
    assert.deepEqual(problems({ type: 'fold', n: { a: 1 } }), {
      n: 'must be string or number or boolean, not object',
    });
    assert.deepEqual(problems({ seq: 'A'.repeat(11) }), { seq: 'is longer than 10 characters' });
    assert.deepEqual(problems({ type: 'fold', n: 10 }), { n: 'must be at most 9' });
    assert.deepEqual(problems({ type: 'fold', n: 0 }), { n: 'must be at least 1' });
    assert.deepEqual(problems({ seq: 'A', email: 'x'.repeat(255) }), {
      email: 'is longer than 254 characters',
    });
    assert.deepEqual(problems({ seq: 'A', after: 'b'.repeat(41) }), {
      after: 'is longer than 40 characters',
    });
    assert.deepEqual(problems([1]), { body: 'must be object, not array' });
  });

  test('oneOf holds only when exactly one branch does', () => {
    const s: Schema = {
      oneOf: [
        { type: 'string', title: 'text' },
        { type: ['string', 'integer'], title: 'text or number' },
      ],
    };
    assert.deepEqual(validate(s, 3), {});
    assert.deepEqual(validate(s, 'x'), { body: 'matches more than one of text, text or number' });
    assert.deepEqual(validate(s, true), { body: 'must be string, not boolean' });
  });

  test('every schema of the API uses only keywords and formats the validator checks', () => {
    for (const s of [schema, ErrorBody, JobCreated, JobList, JobStatus, ServiceInfo])
      assertEnforceable(s);
    assert.throws(
      () => assertEnforceable({ type: 'string', format: 'email' }),
      /format "email" is not checked/,
    );
    assert.throws(
      () => assertEnforceable({ properties: { a: { $ref: '#/x' } as Schema } }),
      /"\$ref" is documented but not enforced/,
    );
    assert.deepEqual(validate(JobStatus.properties!.submitted!, 'yesterday'), {
      body: 'is not a date-time',
    });
  });
});

describe('a request that breaks a documented constraint is refused 400, JSON or multipart, and makes no job', () => {
  let svc: TestServer;
  before(async () => {
    svc = await startTestServer({ general: { service: FIXTURE_SERVICE } }, { webOnly: true });
  });
  after(() => svc.close());

  const cases: [string, Record<string, unknown>, Record<string, RegExp>][] = [
    ['an unknown job type (enum)', { type: 'nope' }, { type: /./ }],
    [
      "a parameter of another job type (oneOf's additionalProperties)",
      { type: 'exit1', text: 'hi' },
      { text: /is not a parameter of exit1/ },
    ],
    [
      "a job type's required parameter left out (oneOf's required)",
      { type: 'sleep' },
      { seconds: /is required/ },
    ],
    ['a value of the wrong JSON type', { type: 'ok', text: ['a'] }, { text: /must be/ }],
    [
      'an email over 254 characters (maxLength)',
      { type: 'ok', email: `${'a'.repeat(250)}@b.test` },
      { email: /longer than 254/ },
    ],
    [
      'an `after` over 40 characters (maxLength)',
      { type: 'ok', after: 'b'.repeat(41) },
      { after: /longer than 40/ },
    ],
  ];
  for (const [what, body, fields] of cases) {
    test(what, async () => {
      const before = await idsIn(svc.root, 'incoming');
      const viaJson = await fetch(`${svc.url}/api/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.equal(viaJson.status, 400);
      const answer = (await viaJson.json()) as {
        error: { code: string; fields: Record<string, string> };
      };
      assert.equal(answer.error.code, 'invalid_input');
      for (const [k, re] of Object.entries(fields))
        assert.match(answer.error.fields[k] ?? '', re, k);
      if (Object.values(body).every((v) => typeof v === 'string')) {
        const form = new FormData();
        for (const [k, v] of Object.entries(body)) form.append(k, v as string);
        const viaForm = await fetch(`${svc.url}/api/jobs`, { method: 'POST', body: form });
        assert.equal(viaForm.status, 400, 'multipart');
        await viaForm.body?.cancel();
      }
      assert.deepEqual(await idsIn(svc.root, 'incoming'), before);
    });
  }
});
