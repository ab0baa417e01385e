/**
 * A local client's mistakes on the command socket of a real backend are answered ERR and
 * logged below error level (they are not the server's errors); built-in names such as
 * `constructor` are unknown fields there too.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createLog } from '../src/log.js';
import { socketRequest } from '../src/socket/index.js';
import { FIXTURE_SERVICE, tempDir } from './helpers.js';
import { startTestServer, type TestServer } from './server.js';

describe('client mistakes on the command socket', () => {
  let sock: string;
  let svc: TestServer;
  const lines: { level: string; event: string }[] = [];
  before(async () => {
    const root = tempDir('jobdir-socket-');
    sock = join(root, 'jobs/backend.sock');
    svc = await startTestServer(
      { general: { service: FIXTURE_SERVICE, socket: sock } },
      {
        root,
        log: createLog(
          'jobdir',
          (l) => void lines.push(JSON.parse(l) as { level: string; event: string }),
        ),
      },
    );
  });
  after(() => svc.close());

  test('STATUS for an unknown id, a bad value and an unknown field are answered ERR and logged at info, not error', async () => {
    const from = lines.length;
    assert.equal(await socketRequest(sock, 'STATUS bcdfghjkmnpq'), 'ERR no job with this id');
    assert.match(await socketRequest(sock, 'sleep seconds=abc'), /^ERR .*seconds/);
    assert.match(
      await socketRequest(sock, 'ok text=hi bogus=1'),
      /^ERR .*bogus: is not a parameter of ok/,
    );
    const logged = lines.slice(from).filter((l) => l.event.startsWith('socket_request'));
    assert.ok(
      logged.some((l) => l.event === 'socket_request_refused'),
      JSON.stringify(lines.slice(from)),
    );
    for (const l of logged) assert.equal(l.level, 'info', JSON.stringify(l));
    assert.deepEqual(
      lines.slice(from).filter((l) => l.level === 'error'),
      [],
    );
  });

  test('constructor= and toString= are unknown fields like bogus=, not "given twice"', async () => {
    for (const key of ['constructor', 'tostring', 'valueof']) {
      assert.match(
        await socketRequest(sock, `ok text=hi ${key}=1`),
        new RegExp(`^ERR .*${key}: is not a parameter of ok`),
        key,
      );
    }
    assert.match(await socketRequest(sock, 'ok text=hi text=again'), /^ERR text is given twice/);
  });
});
