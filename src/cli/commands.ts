import type { ParseArgsConfig } from 'node:util';
import { loadConfig } from '../config/index.js';
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
    help: 'validate the config file and the service module',
    async run({ config }) {
      const cfg = loadConfig(config, (m) => process.stderr.write(`notice: ${m}\n`));
      const service = await loadService(cfg);
      checkFollowOn(cfg, service);
      process.stdout.write(
        `${cfg.file}: OK (service ${service.name}, job types: ${service.jobTypes.map((t) => t.name).join(', ')})\n`,
      );
      return 0;
    },
  },
};
