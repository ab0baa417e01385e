/** @jsxRuntime automatic @jsxImportSource jobdir */
/**
 * Times for people (JSX). The server does not know the reader's time zone: a moment is
 * written as <time datetime="ISO">, readable in UTC, and the pages' same-origin script
 * (/assets/pages.js) rewrites it into the reader's local time. Spans are written here.
 */

/** A moment in UTC as people read it: `2024-05-14 12:03:05 UTC`. */
export function utcText(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** A moment: in UTC as written, in the reader's local time once the page's script has run. */
export function LocalTime({ iso }: { iso: string }) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return <>{iso}</>;
  return (
    <time class="local" datetime={d.toISOString()}>
      {utcText(iso)}
    </time>
  );
}

/** A span of time for people: `48 ms`, `3.2 s`, `3 min 12 s`, `2 h 5 min`, `3 d 4 h`. */
export function formatElapsed(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 9.95) return `${s.toFixed(1)} s`;
  const whole = Math.round(s);
  if (whole < 60) return `${whole} s`;
  const [d, h, m, sec] = [
    Math.floor(whole / 86400),
    Math.floor(whole / 3600) % 24,
    Math.floor(whole / 60) % 60,
    whole % 60,
  ];
  if (d) return h ? `${d} d ${h} h` : `${d} d`;
  if (h) return m ? `${h} h ${m} min` : `${h} h`;
  return sec ? `${m} min ${sec} s` : `${m} min`;
}
