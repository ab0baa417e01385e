/**
 * The environment, read here and nowhere else in src/ (ESLint refuses process.env outside
 * src/config): the log level, the default config file, and what child processes inherit.
 */
import { ConfigError } from '../errors.js';

/** What the structured log writes: every event (`info`, the default) or nothing (`silent`). */
export type LogLevel = 'info' | 'silent';

/**
 * `JOBDIR_LOG` from the environment (config/ is the only reader of process.env): unset,
 * empty or `info` logs every event; `silent` mutes the log (the bench's `jobdir serve`).
 * Any other value is refused, so a typo does not pass for a setting.
 */
export function logLevel(env: NodeJS.ProcessEnv = process.env): LogLevel {
  const v = env.JOBDIR_LOG ?? '';
  if (v === '' || v === 'info') return 'info';
  if (v === 'silent') return 'silent';
  throw new ConfigError(
    'environment',
    null,
    null,
    `JOBDIR_LOG=${JSON.stringify(v)} is not a log level; known: info (the default), silent`,
  );
}

/** `JOBDIR_CONFIG`: the config file a jobdir command reads when it is not given --config. */
export function configFileFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return env.JOBDIR_CONFIG ?? 'jobdir.ini';
}

/**
 * The environment of a child process jobdir starts: its own, with `over` set on top (the
 * wrapper's launcher gets everything the backend was given, JOBDIR_ settings included).
 */
export function childEnv(
  over: Record<string, string> = {},
  env: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  return { ...env, ...over };
}

/**
 * The environment for cluster clients (sbatch, qstat, …): `defaults`, then the backend's
 * own environment over them, without JOBDIR_ settings (they belong to the wrapper, which
 * gets its own through the submission).
 */
export function clusterClientEnv(
  defaults: Record<string, string> = {},
  env: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...defaults, ...env };
  for (const k of Object.keys(out)) if (k.startsWith('JOBDIR_')) delete out[k];
  return out;
}
