const UNIT_MS: Record<string, number> = {
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  m: 30 * 86_400_000,
  y: 365 * 86_400_000,
};

/**
 * Parse a saliweb age: `NEVER` (null) or a number with a unit h, d, w, m (30 days) or
 * y (365 days), e.g. `30d`, `1.5y`. Returns milliseconds; throws a plain message on error.
 */
export function parseAge(text: string): number | null {
  if (/^never$/i.test(text)) return null;
  const m = /^(\d+(?:\.\d+)?)\s*([hdwmy])$/i.exec(text);
  if (!m)
    throw new Error(`"${text}" is not NEVER or a number with a unit h, d, w, m or y (e.g. 30d)`);
  return Number(m[1]) * UNIT_MS[m[2]!.toLowerCase()]!;
}

/** Parse a run time such as `90`, `90s`, `15m`, `2h` or `1:30:00` into milliseconds. */
export function parseRunTime(text: string): number {
  const hms = /^(?:(\d+):)?(\d+):(\d+)$/.exec(text);
  if (hms) return ((Number(hms[1] ?? 0) * 60 + Number(hms[2])) * 60 + Number(hms[3])) * 1000;
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)?$/i.exec(text);
  if (!m) throw new Error(`"${text}" is not a time such as 90s, 15m, 2h or 1:30:00`);
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's').toLowerCase() as 's'];
  return Number(m[1]) * unit * 1000;
}

/** Format milliseconds compactly for people: 90 s, 15 min, 2 h, 3 d. */
export function formatDuration(ms: number): string {
  const s = ms / 1000;
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} d`;
}

/** An age for a table: "40s", "12m", "3h 4m", "3d 4h" (`sep` between the two units). */
export function formatAge(ms: number, sep = ' '): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h${sep}${Math.round((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d${sep}${Math.floor((s % 86400) / 3600)}h`;
}
