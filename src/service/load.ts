import { pathToFileURL } from 'node:url';
import { ConfigError } from '../errors.js';
import type { Config } from '../config/index.js';
import { defineService } from './index.js';
import type { Service } from './types.js';

/**
 * Import the service module named by `[general] service` and check it. Its job types
 * must match the config's `[job NAME]` sections (a section for an unknown type is an error).
 */
export async function loadService(cfg: Config): Promise<Service> {
  let mod: { default?: Service };
  try {
    mod = (await import(pathToFileURL(cfg.general.service).href)) as { default?: Service };
  } catch (err) {
    throw new ConfigError(
      cfg.file,
      'general',
      'service',
      `cannot load ${cfg.general.service}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  if (!mod.default || typeof mod.default !== 'object') {
    throw new ConfigError(
      cfg.file,
      'general',
      'service',
      `${cfg.general.service} has no default export; export default defineService({...})`,
    );
  }
  let service: Service;
  try {
    service = defineService(mod.default);
  } catch (err) {
    throw new ConfigError(
      cfg.file,
      'general',
      'service',
      `${cfg.general.service}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  for (const name of Object.keys(cfg.jobs)) {
    if (!service.jobTypes.some((t) => t.name === name)) {
      throw new ConfigError(
        cfg.file,
        `job ${name}`,
        null,
        `names a job type the service ${service.name} does not have (it has: ${service.jobTypes.map((t) => t.name).join(', ')})`,
      );
    }
  }
  const enabled = service.jobTypes.filter((t) => cfg.jobs[t.name]?.enabled !== false);
  return { ...service, jobTypes: enabled };
}
