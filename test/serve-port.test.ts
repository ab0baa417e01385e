/**
 * `jobdir serve --port N` with a urltop that names another port says so at start, in one
 * line naming the config file, urltop and both ports (pages and mails would lead to urltop's
 * port); with the port urltop names, or a urltop that names none, it says nothing.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../src/config/index.js';
import { portWarning } from '../src/cli/serve.js';
import { startBackend, urlOf } from './backend-process.js';
import { freePort, tempDir, writeConfig } from './helpers.js';

/** Run `jobdir serve --port PORT` for `configFile` until it serves; its stderr lines that are not JSON log lines. */
async function serveOnce(configFile: string, port: number): Promise<string[]> {
  const b = await startBackend(
    configFile,
    { JOBDIR_LOG: 'silent' },
    { args: ['--port', String(port)] },
  );
  try {
    assert.equal(urlOf(b), `http://127.0.0.1:${port}`);
  } finally {
    b.proc.kill('SIGTERM');
    await b.exited;
  }
  return b
    .stderr()
    .split('\n')
    .filter((l) => l && !l.startsWith('{'));
}

describe('serve --port and urltop', () => {
  test('a urltop naming another port is said at start: the config file, urltop and both ports', async () => {
    const root = tempDir();
    const [named, port] = await Promise.all([freePort(), freePort()]);
    const file = await writeConfig(root, {
      general: { urltop: `http://127.0.0.1:${named}` },
      web: { port: named },
    });
    const lines = await serveOnce(file, port);
    assert.deepEqual(lines, [
      `jobdir serve: warning: this server listens on port ${port}, but ${file}: [general] urltop = http://127.0.0.1:${named} names port ${named}; links in pages and mails lead there. Set urltop to the address people reach this server at (or leave --port out).`,
    ]);
  });

  test('with the port urltop names it says nothing', async () => {
    const root = tempDir();
    const port = await freePort();
    const file = await writeConfig(root, {
      general: { urltop: `http://127.0.0.1:${port}/svc` },
      web: { port: 1 },
    });
    assert.deepEqual(await serveOnce(file, port), []);
  });

  test("a urltop that names no port (a proxy's public address) gets no warning; one naming a port does", async () => {
    const file = await writeConfig(tempDir(), {
      general: { urltop: 'https://lab.example.org/svc' },
    });
    assert.equal(portWarning(loadConfig(file), 9000), null);
    const named = await writeConfig(tempDir(), {
      general: { urltop: 'https://lab.example.org:8443/svc' },
    });
    assert.match(portWarning(loadConfig(named), 9000) ?? '', /names port 8443/);
    assert.equal(portWarning(loadConfig(named), 8443), null);
  });
});
