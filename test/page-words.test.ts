/**
 * What the pages say, in parts: state words, spans of time, the UTC fallback of a moment,
 * how soon a waiting page reloads, and a service's example and either-or fields as
 * defineService checks them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defineService, field } from '../src/service/index.js';
import { refreshSeconds } from '../src/web/view.js';
import { formatElapsed, utcText } from '../templates/time.js';
import { stateWord } from '../templates/words.js';

test('states read as a user knows them: queued, starting (also while the program has not reported), running, finishing, cancelled', () => {
  assert.equal(stateWord('incoming'), 'queued');
  assert.equal(stateWord('preprocessing'), 'starting');
  assert.equal(stateWord('running', false), 'starting');
  assert.equal(stateWord('running', true), 'running');
  assert.equal(stateWord('postprocessing'), 'finishing');
  assert.equal(stateWord('finalizing'), 'finishing');
  assert.equal(stateWord('completed'), 'completed');
  assert.equal(stateWord('failed', true, 'program'), 'failed');
  assert.equal(stateWord('failed', true, 'cancelled'), 'cancelled');
});

test('spans of time are written for people', () => {
  for (const [ms, text] of [
    [15, '15 ms'],
    [999, '999 ms'],
    [3240, '3.2 s'],
    [42_000, '42 s'],
    [192_000, '3 min 12 s'],
    [180_000, '3 min'],
    [7_500_000, '2 h 5 min'],
    [3 * 86_400_000 + 4 * 3_600_000, '3 d 4 h'],
  ] as const)
    assert.equal(formatElapsed(ms), text, String(ms));
});

test('a moment reads in UTC until the page script shows it in local time', () => {
  assert.equal(utcText('2026-05-14T12:03:05.284Z'), '2026-05-14 12:03:05 UTC');
  assert.equal(utcText('not a time'), 'not a time');
});

test('a waiting page reloads every second at first, then backs off to every 5 s and a tenth of the age, at most 5 min', () => {
  const at = (s: number) => refreshSeconds(s * 1000);
  assert.deepEqual([0, 0.5, 9.9].map(at), [1, 1, 1]);
  assert.deepEqual([10, 29, 30, 49].map(at), [2, 2, 3, 3]);
  assert.deepEqual([50, 80, 600, 10_000].map(at), [5, 8, 60, 300]);
});

const service =
  (extra: object, fields = { x: field.integer({ min: 0 }) }) =>
  () =>
    defineService({
      name: 'ex',
      title: 'Ex',
      email: 'required',
      jobTypes: [{ name: 'go', fields, run: () => ['/bin/true'], ...extra }],
    });

test("a job type's example must be a valid submission of it, without files; a required email does not count against it", () => {
  assert.doesNotThrow(service({ example: { x: '3' } }));
  assert.throws(
    service({ example: { x: '-1' } }),
    /job type go: its example is not a valid submission \(x: must be at least 0\)/,
  );
  assert.throws(service({ example: { y: '1' } }), /its example gives "y", which is not a field/);
  assert.throws(
    service({ example: {} }, { f: field.file({ maxBytes: 10 }) } as never),
    /f: is required: choose a file/,
  );
  assert.throws(
    service({ example: { f: 'x' } }, { f: field.file({ maxBytes: 10, required: false }) } as never),
    /its example gives the file field "f"; an example cannot upload a file/,
  );
});

test('requiredNote is for a field that is not required by itself', () => {
  assert.doesNotThrow(
    service({}, { s: field.string({ required: false, requiredNote: 'or a file' }) } as never),
  );
  assert.throws(
    service({}, { s: field.string({ requiredNote: 'or a file' }) } as never),
    /field "s": requiredNote is for a field that is not required by itself: give it required: false/,
  );
});
