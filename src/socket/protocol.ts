/**
 * The command socket's line protocol (upq's command socket, saliweb's backend socket):
 * one UTF-8 line per request, one line per answer.
 *
 *   TYPE key=value key:value …   submit a job of TYPE  → ACK <id>        | ERR <why>
 *     … after=ID                 the job waits for job ID to complete (and fails if it fails)
 *     … submitter=NAME           whom it counts against in the fair share (default: email, else "socket")
 *   STATUS <id>                  where is a job         → ACK <id> <state> | ERR <why>
 *   CANCEL <id> [by=WHO]         stop a queued or running job (the one cancel) → ACK <id> <what happened> | ERR <why>
 *                                (by: who asked, in the job's failure; a web-only process names its user)
 *   NOTIFY <id>                  (the web, split mode)  → ACK <id>        | ERR <why>
 *
 * Values are percent-decoded (`%20` for a space, `%25` for %). Commands are upper-case;
 * job type names are lower-case, so they never clash.
 */

/** Longest request line accepted, in bytes (the newline excluded). */
export const MAX_LINE_BYTES = 64 * 1024;

/** A parsed request line. */
export type Request =
  | { kind: 'submit'; fields: Record<string, string> }
  | { kind: 'status'; id: string }
  | { kind: 'cancel'; id: string; by?: string }
  | { kind: 'notify'; id: string }
  | { kind: 'error'; message: string };

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Parse one request line (without its newline); never throws. */
export function parseRequest(bytes: Uint8Array): Request {
  let line: string;
  try {
    line = decoder.decode(bytes).replace(/\r$/, '');
  } catch {
    return { kind: 'error', message: 'the line is not UTF-8 text' };
  }
  if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(line))
    return { kind: 'error', message: 'the line contains control characters' };
  const words = line
    .trim()
    .split(/[ \t]+/)
    .filter(Boolean);
  const [head, ...rest] = words;
  if (!head)
    return {
      kind: 'error',
      message: 'empty line; send TYPE key=value …, STATUS ID, CANCEL ID or NOTIFY ID',
    };
  if (head === 'CANCEL' && rest.length === 2) {
    const by = /^by=(.+)$/.exec(rest[1]!);
    let who: string | null = null;
    try {
      who = by ? decodeURIComponent(by[1]!) : null;
    } catch {
      // not valid percent-encoding: refused below
    }
    if (!who) return { kind: 'error', message: 'CANCEL takes a job id and optionally by=WHO' };
    return { kind: 'cancel', id: rest[0]!, by: who };
  }
  if (head === 'STATUS' || head === 'NOTIFY' || head === 'CANCEL') {
    if (rest.length !== 1) return { kind: 'error', message: `${head} takes exactly one job id` };
    return {
      kind: head === 'STATUS' ? 'status' : head === 'CANCEL' ? 'cancel' : 'notify',
      id: rest[0]!,
    };
  }
  if (!/^[a-z][a-z0-9_-]{0,39}$/.test(head))
    return {
      kind: 'error',
      message: `"${head.slice(0, 40)}" is neither a command (STATUS, CANCEL, NOTIFY) nor a job type name`,
    };
  // Null-prototype: a key named constructor or toString is a field like any other (and refused as unknown).
  const fields: Record<string, string> = Object.assign(Object.create(null), { type: head });
  for (const w of rest) {
    const m = /^([a-z][a-z0-9_]{0,39})[=:](.*)$/.exec(w);
    if (!m) return { kind: 'error', message: `"${w.slice(0, 40)}" is not key=value` };
    if (m[1] === 'type' || Object.hasOwn(fields, m[1]!))
      return { kind: 'error', message: `${m[1]} is given twice` };
    try {
      fields[m[1]!] = decodeURIComponent(m[2]!);
    } catch {
      return { kind: 'error', message: `the value of ${m[1]} is not valid percent-encoding` };
    }
  }
  return { kind: 'submit', fields };
}

/** An answer line: newline-free, bounded, ending in \n. */
export function answer(kind: 'ACK' | 'ERR', text: string): string {
  return `${kind} ${text.replace(/[\r\n]+/g, ' ').slice(0, 2000)}\n`;
}

/** An answer line read back (a client's side of `answer`): ACK or not, and the text after the word. */
export function readAnswer(line: string): { ok: boolean; text: string } {
  return { ok: line.startsWith('ACK '), text: line.replace(/^(ACK|ERR) /, '').trim() };
}

/** Percent-encode a value for a request line (what `jobdir submit --socket` sends). */
export function encodeValue(v: string): string {
  return v.replace(/[%\s\u0000-\u001f\u007f]/g, (c) => encodeURIComponent(c));
}
