import { createHmac, timingSafeEqual } from 'node:crypto';
import { publicUrl } from '../../config/index.js';

/**
 * Signed, expiring "my jobs" tokens: proof that whoever holds one could read mail sent
 * to the address inside. `base64url(email).expiry(base36 seconds).mac`, where mac is
 * HMAC-SHA256 over a purpose tag, the email and the expiry (128 bits kept).
 */
export function signEmailToken(
  secret: string,
  email: string,
  ttlMs: number,
  now = Date.now(),
): string {
  const exp = Math.floor((now + ttlMs) / 1000).toString(36);
  const e = Buffer.from(email, 'utf8').toString('base64url');
  return `${e}.${exp}.${mac(secret, email, exp)}`;
}

/** The email a token proves, or null when it is malformed, forged or expired. */
export function verifyEmailToken(secret: string, token: string, now = Date.now()): string | null {
  const m = /^([A-Za-z0-9_-]{1,400})\.([0-9a-z]{1,10})\.([A-Za-z0-9_-]{22})$/.exec(token);
  if (!m) return null;
  const email = Buffer.from(m[1]!, 'base64url').toString('utf8');
  const want = Buffer.from(mac(secret, email, m[2]!));
  const got = Buffer.from(m[3]!);
  if (want.length !== got.length || !timingSafeEqual(want, got)) return null;
  if (parseInt(m[2]!, 36) * 1000 < now) return null;
  return email;
}

function mac(secret: string, email: string, exp: string): string {
  return createHmac('sha256', secret)
    .update(`jobdir-my-jobs\n${email}\n${exp}`)
    .digest()
    .subarray(0, 16)
    .toString('base64url');
}

/** The absolute "my jobs" link for `email` under `urltop`. */
export function myJobsUrl(urltop: string, secret: string, email: string, ttlMs: number): string {
  return publicUrl(urltop, `/my-jobs/${signEmailToken(secret, email, ttlMs)}`);
}
