/** Field specs are checked when the service loads: a spec the types forbid fails check-config and serve, naming where. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { tempDir, writeConfig, JOBDIR_BIN } from './helpers.js';
import { serveForTest } from './server.js';

const run = promisify(execFile);

/** A service module written in JavaScript (no types to stop it), with `fields` for its one job type. */
async function serviceWith(root: string, fields: string): Promise<string> {
  const file = join(root, 'svc.mjs');
  await fs.writeFile(
    file,
    `export default { name: 'typo', title: 'Typo', jobTypes: [{ name: 'align', fields: ${fields}, run: () => ['/bin/true'] }] };\n`,
  );
  return file;
}

async function checkConfig(config: string): Promise<{ code: number; stderr: string }> {
  try {
    await run(process.execPath, [JOBDIR_BIN, 'check-config', '--config', config], {
      timeout: 30_000,
    });
    return { code: 0, stderr: '' };
  } catch (err) {
    return { code: (err as { code: number }).code, stderr: (err as { stderr: string }).stderr };
  }
}

test('a string pattern instead of a RegExp fails check-config and serve, naming the module, job type, field and rule', async () => {
  const root = tempDir();
  const svc = await serviceWith(root, `{ seq: { kind: 'string', pattern: '^[ACGT]+$' } }`);
  const config = await writeConfig(root, { general: { service: svc } });
  const { code, stderr } = await checkConfig(config);
  assert.notEqual(code, 0);
  assert.match(
    stderr,
    new RegExp(
      `${svc.replace(/[.]/g, '\\.')}: job type align: field "seq": pattern must be a RegExp .*not the string "\\^\\[ACGT\\]\\+\\$"`,
    ),
  );
  await assert.rejects(
    serveForTest(config),
    /job type align: field "seq": pattern must be a RegExp/,
  );
});

test('other specs the types forbid are named too: an unknown property, a wrong type, min above max', async () => {
  const root = tempDir();
  for (const [fields, rule] of [
    [
      `{ name: { kind: 'string', maxlength: 20 } }`,
      /field "name": maxlength is not a property of a string field; it may have label, help, required, requiredNote, maxLength/,
    ],
    [
      `{ n: { kind: 'integer', min: '1' } }`,
      /field "n": min must be a whole number, not the string "1"/,
    ],
    [
      `{ n: { kind: 'number', min: 5, max: 1 } }`,
      /field "n": min \(5\) must not be above max \(1\)/,
    ],
    [`{ n: { kind: 'float' } }`, /field "n": kind must be one of integer, number, string/],
  ] as const) {
    const config = await writeConfig(root, {
      general: { service: await serviceWith(root, fields) },
    });
    const { code, stderr } = await checkConfig(config);
    assert.notEqual(code, 0, fields);
    assert.match(stderr, rule);
  }
  const good = await writeConfig(root, {
    general: {
      service: await serviceWith(
        root,
        `{ seq: { kind: 'string', pattern: /^[ACGT]+$/, maxLength: 50 } }`,
      ),
    },
  });
  assert.equal((await checkConfig(good)).code, 0, 'a correct spec loads');
});
