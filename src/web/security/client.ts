import { isIPv6 } from 'node:net';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';

/**
 * The address a request came from: the socket's peer, or (behind a reverse proxy on this
 * host, with `[web] trust_proxy`) the last X-Forwarded-For hop, which the proxy itself
 * appended. Only a peer on the loopback is believed: another local or remote client that
 * reaches the port directly cannot name an address. Requests without a socket
 * (app.request in tests) count as "local".
 */
export function clientAddress(c: Context, trustProxy: boolean): string {
  let peer = 'local';
  try {
    peer = getConnInfo(c).remote.address ?? 'local';
  } catch {
    /* no socket */
  }
  if (trustProxy && (peer === 'local' || isLoopback(peer))) {
    const hops = (c.req.header('x-forwarded-for') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const last = hops[hops.length - 1];
    if (last) return last.slice(0, 64);
  }
  return peer;
}

/** 127.0.0.0/8, ::1, and IPv4 loopback mapped into IPv6. */
function isLoopback(address: string): boolean {
  return /^(::ffff:)?127\./i.test(address) || address === '::1';
}

/**
 * The key one client's requests are counted under: an IPv4 address as it is (also when
 * IPv4-mapped), an IPv6 address by its /64 prefix, since one host usually owns a whole /64.
 */
export function clientKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!isIPv6(address)) return address;
  const [head = '', tail = ''] = address.toLowerCase().split('::');
  const h = head ? head.split(':') : [];
  const t = address.includes('::') ? (tail ? tail.split(':') : []) : [];
  const groups = [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
