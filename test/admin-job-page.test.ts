/**
 * The admin's page of one job (/admin/jobs/ID) over a real server: the parameters by their
 * labels (an upload by name and size), the job's log as a table, every file of its
 * directory with its size, downloads of any of them as the admin (jobdir's own files too,
 * never through a symlink or out of the directory), and the actions its state allows.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { browserView, idFromRedirect, idsIn, ROOT, waitFor } from './helpers.js';
import { ADMIN_AUTH, startTestServer, type TestServer } from './server.js';

const auth = { authorization: ADMIN_AUTH };

describe("the admin's page of one job", () => {
  let svc: TestServer;
  let id = '';
  let dir = '';
  const structure = 'ATOM      1  N   MET A   1\n'.repeat(12);

  before(async () => {
    svc = await startTestServer(
      { general: { service: join(ROOT, 'test/fixtures/uploads.ts') } },
      { admin: true },
    );
    const { cookie, csrf } = await browserView(await fetch(`${svc.url}/`), { anyPage: true });
    const form = new FormData();
    form.set('csrf', csrf);
    form.set('type', 'count');
    form.set('note', 'first try');
    form.set('structure', new Blob([structure]), 'my model.pdb');
    id = idFromRedirect(
      await fetch(`${svc.url}/jobs`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie },
        body: form,
      }),
    );
    await waitFor(async () => (await idsIn(svc.root, 'completed')).includes(id), 30_000, 'done');
    dir = join(svc.root, 'jobs/completed', id);
  });
  after(() => svc?.close());

  const page = async () => {
    const res = await fetch(`${svc.url}/admin/jobs/${id}`, { headers: auth });
    assert.equal(res.status, 200);
    return res.text();
  };
  const section = (html: string, tableId: string) =>
    new RegExp(`<table id="${tableId}">([\\s\\S]*?)</table>`).exec(html)?.[1] ?? '';

  test('shows the parameters by label: the upload by its name and size, linked; an empty optional field as empty', async () => {
    const params = section(await page(), 'parameters');
    const stored = 'input-structure-my_model.pdb';
    assert.match(
      params,
      new RegExp(
        `<th>Structure<span class="muted"> \\(structure\\)</span></th><td class="value"><a href="/admin/jobs/${id}/files/${stored}">my_model\\.pdb</a> <span class="muted">\\(${structure.length} B, uploaded\\)</span>`,
      ),
    );
    assert.match(params, /<th>note<\/th><td class="value">first try<\/td>/);
    assert.match(params, /<th>extra<\/th><td class="value"><span class="muted">\(empty\)<\/span>/);
    const file = await fetch(`${svc.url}/admin/jobs/${id}/files/${stored}`, { headers: auth });
    assert.equal(file.status, 200);
    assert.equal(await file.text(), structure);
  });

  test("shows the job's log, one event a row, and every file of its directory with its size", async () => {
    const html = await page();
    const events = [...section(html, 'log').matchAll(/<td>([a-z_]+)<\/td>/g)].map((m) => m[1]);
    assert.deepEqual(events, ['started', 'run_ended', 'completed']);
    const files = section(html, 'files');
    for (const name of await fs.readdir(dir)) {
      const st = await fs.stat(join(dir, name));
      const shown = new RegExp(
        `<a href="/admin/jobs/${id}/files/${name.replace(/\./g, '\\.')}">${name.replace(/\./g, '\\.')}</a></td><td data-label="Size">([^<]+)</td>`,
      ).exec(files);
      assert.ok(shown, `${name} is listed with a link`);
      if (st.size < 1000) assert.equal(shown[1], `${st.size} B`, name);
    }
    assert.match(html, /<form method="post" action="\/admin\/jobs\/[a-z]+\/fail">/);
    assert.match(html, /<form method="post" action="\/admin\/jobs\/[a-z]+\/delete">/);
    assert.doesNotMatch(html, /\/resubmit"/, 'a completed job is not resubmitted');
  });

  test("the admin downloads any of the job's files, jobdir's own too; a user cannot, nor can anyone without credentials", async () => {
    for (const name of ['config.ini', 'jobdir.log', 'stdout.txt']) {
      const res = await fetch(`${svc.url}/admin/jobs/${id}/files/${name}`, { headers: auth });
      assert.equal(res.status, 200, name);
      assert.match(res.headers.get('content-disposition') ?? '', /^attachment; filename=/);
      assert.equal(await res.text(), await fs.readFile(join(dir, name), 'utf8'));
      const anon = await fetch(`${svc.url}/admin/jobs/${id}/files/${name}`);
      assert.equal(anon.status, 401, name);
      await anon.text();
    }
    const user = await fetch(`${svc.url}/jobs/${id}/files/config.ini`);
    assert.equal(user.status, 404);
    await user.text();
  });

  test('a symlink, a dot-name, a path out of the directory or an unknown job is not served (404), and the symlink is listed as one', async () => {
    await fs.symlink('/etc/passwd', join(dir, 'passwd'));
    await fs.writeFile(join(dir, '.half-written'), 'x');
    const files = section(await page(), 'files');
    assert.match(
      files,
      /<td data-label="Name">passwd<span class="muted"> \(symlink\)<\/span><\/td>/,
    );
    assert.doesNotMatch(files, /half-written/);
    for (const path of [
      `/admin/jobs/${id}/files/passwd`,
      `/admin/jobs/${id}/files/.half-written`,
      `/admin/jobs/${id}/files/..%2F..%2F..%2Fjobdir.ini`,
      `/admin/jobs/${id}/files/nothing-here`,
      `/admin/jobs/bcdfghjkmnpq/files/config.ini`,
    ]) {
      const res = await fetch(`${svc.url}${path}`, { headers: auth });
      assert.equal(res.status, 404, path);
      assert.doesNotMatch(await res.text(), /root:/);
    }
  });
});
