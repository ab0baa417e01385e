/** Where a job type's success or failure is announced: `[job NAME] notify_success / notify_fail`. */
export interface NotifyTargets {
  /** Addresses mailed (besides the user, who always hears about their own job). */
  mail: string[];
  /** syslog tag (`syslog TAG`), or null for no syslog line. */
  syslog: string | null;
}

/**
 * Parse `mail ADDRESS…` and/or `syslog TAG` (either order, commas optional), as upq does:
 * `notify_fail = mail admin@lab.org ops@lab.org, syslog modloop`. Empty: nobody.
 * Throws a plain message naming what is wrong.
 */
export function parseNotify(text: string): NotifyTargets {
  const out: NotifyTargets = { mail: [], syslog: null };
  const words = text.split(/[\s,;]+/).filter(Boolean);
  let mode: 'mail' | null = null;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === 'mail') {
      mode = 'mail';
    } else if (w === 'syslog') {
      const tag = words[i + 1];
      if (!tag || tag === 'mail')
        throw new Error('"syslog" must be followed by a tag, e.g. syslog myservice');
      if (!/^[A-Za-z0-9._-]{1,32}$/.test(tag))
        throw new Error(`syslog tag "${tag}" must be 1-32 letters, digits, ., _ or -`);
      out.syslog = tag;
      mode = null;
      i++;
    } else if (mode === 'mail') {
      if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(w)) throw new Error(`"${w}" is not an email address`);
      out.mail.push(w);
    } else {
      throw new Error(`"${w}" is not understood; write "mail ADDRESS…" and/or "syslog TAG"`);
    }
  }
  if (mode === 'mail' && out.mail.length === 0)
    throw new Error('"mail" must be followed by at least one address');
  return out;
}
