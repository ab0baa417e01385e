/** `jobdir check-config`: the config file and the service module, checked as a start would. */
import { loadConfig } from '../config/index.js';
import { checkFollowOn } from '../lifecycle/deps.js';
import { loadService } from '../service/load.js';
import type { Command } from './commands.js';

export const checkConfigCommand: Command = {
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
};
