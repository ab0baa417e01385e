import type { ParseArgsConfig } from 'node:util';
import { ConfigError, ConfigErrors, loadConfig } from '../config/index.js';
import { loadService } from '../service/load.js';
import { checkFollowOn } from '../lifecycle/deps.js';
import { daemonCommands, serveCommand } from './daemon.js';
import { jobCommands } from './jobs.js';
import { adminUserCommand } from './admin-user.js';
import { submitCommand } from './submit.js';
import { newServiceCommand } from './new-service.js';

/** What a command receives. */
export interface CommandInput {
  config: string;
  values: Record<string, unknown>;
  args: string[];
}

/** One `jobdir` verb. */
export interface Command {
  usage: string;
  help: string;
  options?: ParseArgsConfig['options'];
  run(input: CommandInput): Promise<number>;
}

/** Every verb, by name. */
export const commands: Record<string, Command> = {
  'admin-user': adminUserCommand,
  submit: submitCommand,
  'new-service': newServiceCommand,
  serve: serveCommand,
  ...daemonCommands,
  ...jobCommands,
  'check-config': {
    usage: '',
    help: 'validate the config file (every error, with its line) and the service module',
    async run({ config }) {
      let cfg;
      try {
        cfg = loadConfig(config, (m) => process.stderr.write(`notice: ${m}\n`));
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        // One line per error, as a compiler prints them, then how many.
        const all = err instanceof ConfigErrors ? err.errors : [err];
        for (const e of all) process.stderr.write(`${e.message}\n`);
        process.stderr.write(
          `${err.file}: ${all.length} error${all.length === 1 ? '' : 's'} (the service module is checked once the file has none)\n`,
        );
        return 1;
      }
      const service = await loadService(cfg);
      checkFollowOn(cfg, service);
      process.stdout.write(
        `${cfg.file}: OK (service ${service.name}, job types: ${service.jobTypes.map((t) => t.name).join(', ')})\n`,
      );
      return 0;
    },
  },
};
