/**
 * Who a job counts against in the fair share: recorded in config.ini at submission as
 * `[settings] submitter`, so a restarted backend learns it from the job directories.
 * The web records the email address when one is given, else the client address as the
 * rate limiter counts it (IPv4 address, IPv6 /64); the socket and `jobdir submit
 * --socket` give one; children and follow-on jobs carry their parent's.
 */
import { InputError } from '../errors.js';
import { jobSettings, type JobConfig, type JobSettings } from '../store/index.js';
import type { QueuedJob } from './types.js';

/** The config.ini key (in [settings]) that holds the submitter. */
export const SUBMITTER_KEY = 'submitter';

/** The submitter of a job from its [settings]: as recorded, else (a job from before fair share) its email. */
export function submitterOf(settings: Pick<JobSettings, 'submitter' | 'email'>): string {
  return settings.submitter || settings.email;
}

/** A web submission's submitter: the email address if given, else the client's key (see web/security/client.ts). */
export function webSubmitter(email: string, clientKey: string): string {
  return email || clientKey;
}

/** A submitter named by a local script (the socket's `submitter=`): checked, or an InputError. */
export function givenSubmitter(value: string): string {
  if (value.length === 0 || value.length > 200 || /[\u0000-\u001f\u007f]/.test(value)) {
    throw new InputError({ submitter: 'must be 1 to 200 characters without control characters' });
  }
  return value;
}

/** What the scheduler needs of a job in incoming/, from its config.ini. */
export function queuedJob(id: string, config: JobConfig, fallbackSubmitted = 0): QueuedJob {
  const s = jobSettings(config);
  return {
    id,
    type: s.type,
    submitted: Date.parse(s.submitted) || fallbackSubmitted,
    submitter: submitterOf(s),
  };
}
