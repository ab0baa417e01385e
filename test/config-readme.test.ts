import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CONFIG_KEYS, DEFAULTS, loadConfig } from '../src/config/index.js';
import { configTable, withConfigTable } from '../scripts/config-table.js';
import { ROOT, tempDir } from './helpers.js';

const MINIMAL = `[general]
service_name = Demo
service = svc.ts
admin_email = admin@example.test
[directories]
install = .
incoming = data/incoming
preprocessing = data/preprocessing
[job demo]
`;

const DIR = tempDir('jobdir-cfg-defaults-');

async function load(text: string) {
  const file = join(DIR, 'svc.ini');
  await fs.writeFile(file, text);
  const cfg = loadConfig(file);
  return { ...cfg, file: '', ini: {} };
}

/** MINIMAL with `lines` added to `[section]` (a section of its own when MINIMAL has none). */
function withKeys(section: string, lines: string[]): string {
  const header = section === 'job NAME' ? '[job demo]' : `[${section}]`;
  return MINIMAL.includes(`${header}\n`)
    ? MINIMAL.replace(`${header}\n`, `${header}\n${lines.join('\n')}\n`)
    : `${MINIMAL}${header}\n${lines.join('\n')}\n`;
}

describe('config defaults: one table, read by the config reader and shown in the README', () => {
  test("the README's configuration table is the one generated from DEFAULTS (node --import tsx scripts/config-table.ts)", async () => {
    const readme = await fs.readFile(join(ROOT, 'README.md'), 'utf8');
    assert.equal(readme, withConfigTable(readme));
    assert.ok(readme.includes(configTable()));
  });

  test('every section: writing each default out gives the same config as writing nothing', async () => {
    const none = await load(MINIMAL);
    for (const [section, defaults] of Object.entries(DEFAULTS)) {
      const lines = Object.entries(defaults).map(([k, v]) => `${k} = ${v}`);
      assert.deepEqual(
        await load(withKeys(section, lines)),
        none,
        `[${section}] with its defaults written out`,
      );
    }
  });

  test('every key of the table is accepted where the README puts it, and a key not in it is refused', async () => {
    const sample: Record<string, string> = {
      time_limit: '1h',
      concurrent: '2',
      per_user: '2',
      running_tasks: '2',
      follow_on: 'demo',
      port: '2525',
      urltop: 'http://example.test',
      install: '.',
      incoming: 'data/incoming',
      preprocessing: 'data/preprocessing',
      admin_email: 'admin@example.test',
      service_name: 'Demo',
      service: 'svc.ts',
      archive: '30d',
      notify_success: 'syslog demo',
      notify_fail: 'syslog demo',
      cpus: '2',
      array_tasks: '4',
      umask: '007',
    };
    for (const [section, keys] of Object.entries(CONFIG_KEYS)) {
      for (const [k, spec] of Object.entries(keys)) {
        const value = sample[k] ?? spec.default ?? 'x';
        const text = withKeys(section, [`${k} = ${value}`]).replace(
          /^(\w+) = .*\n(?=[\s\S]*^\1 = )/m,
          '',
        );
        await assert.doesNotReject(load(text), `[${section}] ${k} = ${value}`);
      }
      await assert.rejects(
        load(withKeys(section, ['no_such_key = 1'])),
        /not a known key/,
        `[${section}]`,
      );
    }
  });

  test("every runner option the README's cluster table names is a key of [job NAME]", async () => {
    const readme = await fs.readFile(join(ROOT, 'README.md'), 'utf8');
    const table = readme.split('| option | Slurm | Grid Engine |')[1]!.split('\n\n')[0]!;
    const named = [...table.matchAll(/^\| ([^|]+)\|/gm)].flatMap((m) =>
      [...m[1]!.matchAll(/`(\w+)`/g)].map((k) => k[1]!),
    );
    const accepted = Object.keys(CONFIG_KEYS['job NAME']);
    assert.ok(named.length >= 7, `found the table: ${named.join(', ')}`);
    for (const k of named.filter((k) => k !== 'time_limit'))
      assert.ok(accepted.includes(k), `${k} is accepted in [job NAME]`);
  });
});
