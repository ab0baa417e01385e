/**
 * A private nginx (Debian's) in front of test services, configured from the nginx blocks of
 * docs/deploy.md's reverse-proxy section, so the guide is what is tested: its server blocks
 * with their ports, certificate paths and prefixes replaced, inside the main config a Debian
 * install provides (here with its pid, logs and temp folders in a temp folder). nginx runs
 * in the foreground as this process's child (`daemon off`); it is ready once it has started
 * its worker, and stopped by its pid.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tempDir } from './helpers.js';

/** The heading of the guide's section that this helper reads. */
export const GUIDE_SECTION = "## Behind the lab's web server (nginx, a path prefix, TLS)";

/** One service behind nginx: its prefix, its port, and whether nginx keeps the prefix. */
export interface ProxiedService {
  prefix: string;
  port: number;
  keep?: boolean;
}

/** One server block of the test's nginx: its port, TLS or not, the services under it. */
export interface ProxyServer {
  port: number;
  tls?: boolean;
  services: ProxiedService[];
}

/** A running nginx. */
export interface Nginx {
  dir: string;
  /** The self-signed certificate (PEM) of the TLS servers. */
  cert: string;
  /** The port of the guide's HTTP → HTTPS redirect server. */
  redirectPort: number;
  pid: number;
  stop(): Promise<void>;
}

/** The guide's nginx blocks: the servers (with the stripping location) and the keeping location. */
export async function guideBlocks(): Promise<{ servers: string; keepLocation: string }> {
  const doc = await fs.readFile(join(ROOT, 'docs/deploy.md'), 'utf8');
  const start = doc.indexOf(GUIDE_SECTION);
  if (start < 0) throw new Error(`docs/deploy.md has no section "${GUIDE_SECTION}"`);
  const rest = doc.slice(start + GUIDE_SECTION.length);
  const next = rest.search(/^## /m);
  const section = next < 0 ? rest : rest.slice(0, next);
  const blocks = [...section.matchAll(/^```nginx\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
  if (blocks.length !== 2)
    throw new Error(`the guide's section has ${blocks.length} nginx blocks, not 2`);
  return { servers: blocks[0]!, keepLocation: blocks[1]! };
}

/** The `location /myservice/ { … }` block of `text`, as written (indented by `indent`). */
function locationOf(text: string): string {
  const m = /^( *)location \/myservice\/ \{\n[\s\S]*?^\1\}\n/m.exec(text);
  if (!m) throw new Error(`no "location /myservice/ { … }" block in:\n${text}`);
  return m[0];
}

/** One service's location block: the guide's, for its prefix and port. */
function locationFor(guide: { servers: string; keepLocation: string }, s: ProxiedService): string {
  const block = locationOf(s.keep ? guide.keepLocation : guide.servers);
  return block
    .replaceAll('/myservice/', `${s.prefix}/`)
    .replaceAll('127.0.0.1:8080', `127.0.0.1:${s.port}`);
}

/**
 * The site config (what goes in sites-enabled/) for `servers`: the guide's redirect server on
 * `redirectPort`, then its TLS server once per entry, with that entry's locations.
 */
export function siteConfig(
  guide: { servers: string; keepLocation: string },
  servers: ProxyServer[],
  redirectPort: number,
  certDir: string,
): string {
  const blocks = guide.servers.split(/^(?=server \{)/m).map((b) => b.trimEnd() + '\n');
  const redirect = blocks.find((b) => /listen 80;/.test(b));
  const main = blocks.find((b) => /listen 443 ssl;/.test(b));
  if (!redirect || !main)
    throw new Error("the guide's first block lacks its port 80 or 443 server");
  const out = [redirect.replace('listen 80;', `listen 127.0.0.1:${redirectPort};`)];
  const location = locationOf(main);
  for (const srv of servers) {
    let text = main.replace(location, srv.services.map((s) => locationFor(guide, s)).join('\n'));
    if (srv.tls)
      text = text
        .replace('listen 443 ssl;', `listen 127.0.0.1:${srv.port} ssl;`)
        .replace('/etc/ssl/certs/lab.example.org.pem', join(certDir, 'cert.pem'))
        .replace('/etc/ssl/private/lab.example.org.key', join(certDir, 'key.pem'));
    else
      text = text
        .replace('listen 443 ssl;', `listen 127.0.0.1:${srv.port};`)
        .replace(/^ *ssl_certificate.*\n/gm, '');
    out.push(text);
  }
  return out.join('\n');
}

/** What Debian's /etc/nginx/nginx.conf provides around the sites, with everything in `dir`. */
function mainConfig(dir: string, site: string): string {
  const root = process.getuid?.() === 0;
  return `# Written by test/nginx.ts
${root ? 'user root;\n' : ''}worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log stderr notice;
events { worker_connections 256; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${site.replace(/^/gm, '  ')}
}
`;
}

/** A self-signed certificate for 127.0.0.1 in `dir` (cert.pem, key.pem), made by openssl. */
function makeCertificate(dir: string): void {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'pipe' },
  );
}

/** Resolve once nginx has started its worker (its notice on stderr); reject if it exits first. */
function ready(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let err = '';
    const onData = (b: Buffer) => {
      err += b.toString();
      if (/start worker process \d+/.test(err)) {
        child.stderr!.off('data', onData);
        child.off('exit', onExit);
        child.stderr!.resume();
        resolve();
      }
    };
    const onExit = (code: number | null) =>
      reject(new Error(`nginx exited (${code}) before it was ready:\n${err}`));
    child.stderr!.on('data', onData);
    child.once('exit', onExit);
    child.once('error', (e) =>
      reject(
        new Error(`nginx could not be started (${e.message}); scripts/install-deps.sh installs it`),
      ),
    );
  });
}

/**
 * Start nginx with the guide's config for `servers` (each on its own port) and the guide's
 * redirect server on `redirectPort`. Stop it with `stop()`.
 */
export async function startNginx(servers: ProxyServer[], redirectPort: number): Promise<Nginx> {
  const dir = tempDir('jobdir-nginx-');
  const guide = await guideBlocks();
  if (servers.some((s) => s.tls)) makeCertificate(dir);
  const conf = join(dir, 'nginx.conf');
  await fs.writeFile(conf, mainConfig(dir, siteConfig(guide, servers, redirectPort, dir)));
  const child = spawn('nginx', ['-p', dir, '-c', conf, '-e', 'stderr'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await ready(child);
  return {
    dir,
    cert: servers.some((s) => s.tls) ? await fs.readFile(join(dir, 'cert.pem'), 'utf8') : '',
    redirectPort,
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGTERM');
      await exited;
    },
  };
}
