import { parseArgs } from 'node:util';
import { configFileFromEnv } from '../config/env.js';
import { JobdirError, messageOf } from '../errors.js';
import { allCommands, loadCommand } from './commands.js';

/**
 * `jobdir <command> [--config FILE] …`: the admin's tool. commands.ts names each command
 * and the file it lives in (loaded only when it runs); it gets the parsed options.
 */
async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(await usage());
    return name ? 0 : 2;
  }
  const cmd = await loadCommand(name);
  if (!cmd) {
    process.stderr.write(`jobdir: unknown command "${name}"\n\n${await usage()}`);
    return 2;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      options: { config: { type: 'string', short: 'c' }, ...cmd.options },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    process.stderr.write(`jobdir ${name}: ${messageOf(err)}\nusage: jobdir ${name} ${cmd.usage}\n`);
    return 2;
  }
  const config = (parsed.values.config as string | undefined) ?? configFileFromEnv();
  return cmd.run({
    config,
    values: parsed.values as Record<string, unknown>,
    args: parsed.positionals,
  });
}

async function usage(): Promise<string> {
  const lines = (await allCommands()).map(
    ([n, c]) => `  ${(n + ' ' + c.usage).padEnd(40)} ${c.help}`,
  );
  return `usage: jobdir <command> [--config FILE] …\n\ncommands:\n${lines.join('\n')}\n\nFILE defaults to $JOBDIR_CONFIG, then ./jobdir.ini.\n`;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`jobdir: ${err instanceof JobdirError ? err.message : messageOf(err)}\n`);
    process.exitCode = 1;
  },
);
