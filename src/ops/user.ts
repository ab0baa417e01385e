import { userInfo } from 'node:os';
import { ConfigError } from '../errors.js';
import type { Config } from '../config/index.js';

/**
 * `[backend] user` (saliweb's rule): the backend runs only as that user, and never as
 * root unless that user is root. Without the key there is no check (a single-user setup).
 * `who` is injectable for tests.
 */
export function checkBackendUser(
  cfg: Config,
  who: { username: string; uid: number } = userInfo(),
): void {
  const want = cfg.backend.user;
  if (want === null) return;
  if (who.username !== want) {
    const root =
      who.uid === 0 ? ' (running the backend as root is refused unless user = root)' : '';
    throw new ConfigError(
      cfg.file,
      'backend',
      'user',
      `says the backend runs as "${want}", but this process runs as "${who.username}"${root}. Start it as ${want} (e.g. sudo -u ${want} jobdir start), or change the key.`,
    );
  }
}
