import { pathToFileURL } from 'node:url';
import { ConfigError } from '../errors.js';
import type { Config } from '../config/index.js';
import { defineService } from './index.js';
import type { Service } from './types.js';

/** True once a TypeScript loader is on in this process. */
let typescript = /\.[cm]?tsx?$/.test(import.meta.url);

/**
 * A service module in TypeScript needs a compiler at run time; jobdir itself does not (it
 * runs from dist/). tsx's loader is registered the first time such a module is loaded, and
 * only then: a JavaScript service starts without it. When jobdir itself runs from its
 * TypeScript sources (its tests), their loader is already on.
 */
async function loadTypeScript(): Promise<void> {
  if (typescript) return;
  const { register } = await import('tsx/esm/api');
  register();
  typescript = true;
}

/**
 * Import the service module named by `[general] service` and check it. Its job types
 * must match the config's `[job NAME]` sections (a section for an unknown type is an error).
 */
export async function loadService(cfg: Config): Promise<Service> {
  let mod: { default?: Service };
  try {
    if (/\.[cm]?tsx?$/.test(cfg.general.service)) await loadTypeScript();
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
