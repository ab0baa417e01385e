import { createInterface } from 'node:readline';
import { loadConfig } from '../config/index.js';
import { JobdirError } from '../errors.js';
import { setAdminUser } from '../web/security/admin-auth.js';
import type { Command } from './commands.js';

/** Read one line from stdin; on a terminal, without echoing it. */
async function readPassword(prompt: string): Promise<string> {
  const tty = process.stdin.isTTY === true;
  if (tty) process.stderr.write(prompt);
  const rl = createInterface({
    input: process.stdin,
    terminal: tty,
    output: tty
      ? new (await import('node:stream')).Writable({ write: (_c, _e, cb) => cb() })
      : undefined,
  });
  try {
    for await (const line of rl) return line;
    return '';
  } finally {
    rl.close();
    if (tty) process.stderr.write('\n');
  }
}

/** `jobdir admin-user NAME [--file FILE]`: add or change an administrator (password on stdin). */
export const adminUserCommand: Command = {
  usage: 'NAME [--file FILE]',
  help: 'add or change an admin user of /admin and /api/admin (password read from stdin)',
  options: { file: { type: 'string' } },
  async run({ config, values, args }) {
    const [name] = args;
    if (!name || args.length > 1)
      throw new JobdirError('usage: jobdir admin-user NAME [--file FILE]');
    const file = (values.file as string | undefined) ?? loadConfig(config).web.adminCredentials;
    if (!file)
      throw new JobdirError(
        `${config}: [web] admin_credentials is not set; set it or pass --file FILE`,
      );
    const password = await readPassword(`Password for ${name}: `);
    await setAdminUser(file, name, password);
    process.stdout.write(
      `${file}: ${name} can now sign in to /admin (restart the web server to apply)\n`,
    );
    return 0;
  },
};
