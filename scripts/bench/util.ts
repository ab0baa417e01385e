/** Shared helpers for bench scenarios: percentiles and a figure line. */

/** The p-th percentile (0..100) of `xs` (nearest rank). */
export function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** Print one figure: name, value with unit, and an optional comparison. */
export function figure(name: string, value: number, unit: string, note = ''): void {
  console.log(
    `${name.padEnd(48)} ${value.toFixed(value < 10 ? 2 : 1).padStart(10)} ${unit.padEnd(6)} ${note}`,
  );
}
