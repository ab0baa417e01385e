import type { ParseArgsConfig } from 'node:util';
import { loadConfig } from '../config/index.js';
import { loadService } from '../service/load.js';
import { startService } from './serve.js';
import { adminUserCommand } from './admin-user.js';
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
  'new-service': newServiceCommand,
  serve: {
    usage: '[--port N] [--web-only]',
    help: 'run the web server and the backend in the foreground',
    options: { port: { type: 'string' }, 'web-only': { type: 'boolean' } },
    async run({ config, values }) {
      const port = values.port === undefined ? undefined : Number(values.port);
      const running = await startService(config, { port, webOnly: values['web-only'] === true });
      process.stdout.write(`${running.service.title} is serving on ${running.url} (data under ${running.cfg.directories.data})\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
      await running.close();
      return 0;
    },
  },
  'check-config': {
    usage: '',
    help: 'validate the config file and the service module',
    async run({ config }) {
      const cfg = loadConfig(config, (m) => process.stderr.write(`notice: ${m}\n`));
      const service = await loadService(cfg);
      process.stdout.write(`${cfg.file}: OK (service ${service.name}, job types: ${service.jobTypes.map((t) => t.name).join(', ')})\n`);
      return 0;
    },
  },
};
