/** File uploads through the form: limits (413, nothing kept), types, hostile names, bad fields. */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { browserView, idFromRedirect, idsIn, ROOT, waitFor } from './helpers.js';
import { FORM_OVERHEAD_BYTES, maxSubmissionBytes, safeFileName } from '../src/service/validate.js';
import uploads from './fixtures/uploads.js';
import { startTestServer, type TestServer } from './server.js';

describe('uploads', () => {
  let svc: TestServer;
  before(async () => {
    svc = await startTestServer({ general: { service: join(ROOT, 'test/fixtures/uploads.ts') } });
  });
  after(() => svc.close());

  /** POST the form as multipart, like a browser: GET / for the CSRF cookie and token first. */
  async function post(
    fields: Record<
      string,
      string | { name: string; data: Uint8Array<ArrayBuffer> | string; type?: string }
    >,
  ): Promise<Response> {
    const { cookie, csrf } = await browserView(await fetch(`${svc.url}/`), { anyPage: true });
    const form = new FormData();
    form.set('csrf', csrf);
    form.set('type', 'count');
    for (const [k, v] of Object.entries(fields)) {
      if (typeof v === 'string') form.set(k, v);
      else form.set(k, new Blob([v.data], { type: v.type ?? 'application/octet-stream' }), v.name);
    }
    return fetch(`${svc.url}/jobs`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie },
      body: form,
    });
  }
  /** Nothing of a refused submission is left: no job, no id, no hidden staging folder. */
  async function nothingKept(): Promise<void> {
    for (const s of ['incoming', 'preprocessing', 'running', 'completed', 'failed']) {
      assert.deepEqual(
        (await fs.readdir(join(svc.root, 'jobs', s))).filter((n) => n !== 'failed'),
        [],
        `${s}/ is empty`,
      );
    }
    assert.deepEqual(await fs.readdir(join(svc.root, 'jobs/by-id')), []);
  }

  test("the body limit is derived from the fields: the largest job type's file and text limits plus room for the form", () => {
    assert.equal(maxSubmissionBytes(uploads), 1500 + 4 * 20 + FORM_OVERHEAD_BYTES);
  });

  test("the form shows each file field's limit and accepted types", async () => {
    const html = await (await fetch(`${svc.url}/`)).text();
    assert.match(
      html,
      /<input id="structure" name="structure" required(="")? type="file" accept="\.pdb,\.txt"\/?><div class="help" id="structure-limit">At most 1 KB; \.pdb, \.txt\.<\/div>/,
    );
    assert.match(html, /id="extra-limit">At most 500 bytes\.</);
  });

  test("a file over its field's limit is answered 413 with the form and the reason, and nothing is kept", async () => {
    const res = await post({ structure: { name: 'big.pdb', data: 'A'.repeat(1001) } });
    assert.equal(res.status, 413);
    assert.match(
      await res.text(),
      /id="structure-err"[^>]*>is too large: 1001 bytes; the limit is 1000/,
    );
    await nothingKept();
  });

  test('a request over the derived body limit is refused with 413 before it is read, and nothing is kept', async () => {
    // The server answers 413 before reading the body and stops reading (src/web/body.ts).
    // A client still sending then either reads that answer or sees its upload cut off
    // (fetch: EPIPE, ECONNRESET or undici's socket error; Node 24's fetch sees this); both are a refusal.
    const outcome = await post({
      structure: { name: 'huge.pdb', data: new Uint8Array(2 * 1024 * 1024) },
    }).then(
      async (res) => ({ status: res.status, text: await res.text() }),
      (err: unknown) => ({
        refused: (err as { cause?: { code?: string } }).cause?.code ?? String(err),
      }),
    );
    if ('refused' in outcome)
      assert.match(
        outcome.refused,
        /^(EPIPE|ECONNRESET|UND_ERR_SOCKET)$/,
        'the upload was cut off, not failed otherwise',
      );
    else {
      assert.equal(outcome.status, 413);
      assert.match(outcome.text, /larger than this service accepts, so nothing was kept/);
    }
    await nothingKept();
    assert.equal((await fetch(`${svc.url}/`)).status, 200, 'the service still answers');
  });

  test('a file of a type the field does not accept is refused', async () => {
    for (const name of ['model.exe', 'model.pdb.exe', 'pdb']) {
      const res = await post({ structure: { name, data: 'ATOM' } });
      assert.equal(res.status, 400, name);
      assert.match(
        await res.text(),
        /id="structure-err"[^>]*>must be one of these types: \.pdb, \.txt/,
      );
    }
    await nothingKept();
  });

  test('missing required file, text for a file, unknown fields and an over-long string are each named', async () => {
    let res = await post({ note: 'hi' });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /id="structure-err"[^>]*>is required: choose a file/);
    res = await post({ structure: 'not a file' });
    assert.match(await res.text(), /id="structure-err"[^>]*>must be an uploaded file/);
    res = await post({
      structure: { name: 'a.pdb', data: 'ATOM' },
      bogus: '1',
      note: 'x'.repeat(21),
    });
    const html = await res.text();
    assert.equal(res.status, 400);
    assert.match(html, /bogus: is not a parameter of count/);
    assert.match(html, /id="note-err"[^>]*>is 21 characters long; the limit is 20/);
    await nothingKept();
  });

  test('hostile file names are stored under safe names inside the job directory, and the job runs', async () => {
    const names: [string, RegExp][] = [
      ['../../../etc/passwd.pdb', /^input-structure-passwd\.pdb$/],
      ['/etc/shadow.pdb', /^input-structure-shadow\.pdb$/],
      ['..\\..\\win.pdb', /^input-structure-win\.pdb$/],
      ['..／..／fullwidth.pdb', /^input-structure-fullwidth\.pdb$/],
      ['‥∕leader.pdb', /^input-structure-[A-Za-z0-9_-]*leader\.pdb$/],
      [`${'a'.repeat(296)}.pdb`, /^input-structure-a{96}\.pdb$/],
      ['.hidden.pdb', /^input-structure-hidden\.pdb$/],
    ];
    for (const [name, want] of names) {
      const id = idFromRedirect(await post({ structure: { name, data: 'ATOM      1  N\n' } }));
      await waitFor(
        async () => (await idsIn(svc.root, 'completed')).includes(id),
        20_000,
        `job for ${name} completed`,
      );
      const dir = join(svc.root, 'jobs/completed', id);
      const stored = (await fs.readdir(dir)).filter((n) => n.startsWith('input-'));
      assert.equal(stored.length, 1, name);
      assert.match(stored[0]!, want, name);
      assert.match(
        await fs.readFile(join(dir, 'stdout.txt'), 'utf8'),
        new RegExp(`^15 ${stored[0]!.replace(/\./g, '\\.')}\\n$`),
      );
    }
    await assert.rejects(fs.stat(join(svc.root, 'jobs', 'passwd.pdb')));
  });

  test('safeFileName: NUL, separators, lookalikes, dot-names and length', () => {
    assert.equal(safeFileName('a\0b.pdb'), 'ab.pdb');
    assert.equal(safeFileName('x/../../y.txt'), 'y.txt');
    assert.equal(safeFileName('C:\\Users\\me\\z.pdb'), 'z.pdb');
    assert.equal(safeFileName('...'), 'upload');
    assert.equal(safeFileName(''), 'upload');
    assert.equal(safeFileName('ｍｏｄｅｌ.pdb'), 'model.pdb');
    assert.equal(safeFileName('résumé.txt'), 'r_sum_.txt');
    assert.ok(safeFileName('b'.repeat(300) + '.pdb').length <= 100);
    assert.match(safeFileName('b'.repeat(300) + '.pdb'), /\.pdb$/);
  });
});
