/** `jobdir check-config`: the config file and the service module, checked as a start would. */
import { ConfigError, ConfigErrors, loadConfig } from '../config/index.js';
import { checkFollowOn } from '../lifecycle/deps.js';
import { loadService } from '../service/load.js';
import type { Command } from './commands.js';

export const checkConfigCommand: Command = {
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
};
