// A bench client in a process of its own (as real clients are): N form submissions by C
// concurrent keep-alive connections. Prints one JSON object: [[id, submittedAtMs], …].
//   node submitter.mjs URL COOKIE CSRF N C
import http from 'node:http';

const [url, cookie, csrf, n, c] = process.argv.slice(2);
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(c) });
const body = new URLSearchParams({ csrf, type: 'true' }).toString();
const out = [];
let left = Number(n);

const submitOne = () =>
  new Promise((resolve, reject) => {
    const t = Date.now();
    const req = http.request(
      `${url}/jobs`,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
          cookie,
        },
      },
      (res) => {
        res.resume();
        res.once('end', () => {
          const id = /\/jobs\/([a-z]+)$/.exec(res.headers.location ?? '')?.[1];
          if (res.statusCode !== 303 || !id)
            return reject(new Error(`submit failed: ${res.statusCode}`));
          out.push([id, t]);
          resolve();
        });
      },
    );
    req.once('error', reject);
    req.end(body);
  });

await Promise.all(
  Array.from({ length: Number(c) }, async () => {
    while (left > 0) {
      left--;
      await submitOne();
    }
  }),
);
agent.destroy();
process.stdout.write(JSON.stringify(out));
