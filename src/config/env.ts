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
