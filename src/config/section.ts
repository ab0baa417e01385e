import { isAbsolute, resolve } from 'node:path';
import { CONFIG_KEYS, DEFAULTS, knownKeys, type ConfigSection } from './defaults.js';
import type { ConfigProblems } from './problems.js';
import { didYouMean } from './suggest.js';

/**
 * Typed, error-naming access to one INI section, its values merged over the section's
 * DEFAULTS by spread (an empty value means the default); `done()` rejects unknown keys.
 * A bad value is recorded in the file's ConfigProblems and read as its default (or a
 * neutral value), so that reading goes on and finds the file's other errors; only `fail`
 * stops (where nothing sensible can follow).
 */
export interface SectionReader {
  /** The value, else the default, else undefined. */
  str(key: string): string | undefined;
  required(key: string): string;
  int(key: string, min?: number, max?: number): number;
  bool(key: string): boolean;
  path(key: string): string | undefined;
  list(key: string): string[];
  /**
   * Parse the value (or default, or '') with `fn`; a thrown message becomes a ConfigError
   * naming this key, and the default parsed (else `fallback`) is read instead.
   */
  parsed<T>(key: string, fn: (text: string) => T, fallback?: T): T;
  /** Record an error and stop reading (the error is thrown). */
  fail(key: string | null, rule: string): never;
  /** Record an error and go on. */
  report(key: string | null, rule: string): void;
  /** Record every key of the section that is not a known one. */
  done(): void;
}

/** A reader for `[name]`, a section of kind `section`; relative paths resolve against `baseDir`. */
export function sectionReader(
  problems: ConfigProblems,
  name: string,
  body: Record<string, string> | undefined,
  baseDir: string,
  section: ConfigSection,
): SectionReader {
  const given = body ?? {};
  const known = knownKeys(section);
  const values: Record<string, string> = {
    ...DEFAULTS[section],
    ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== '')),
  };
  const fail = (key: string | null, rule: string): never => {
    throw problems.add(name, key, rule);
  };
  const report = (key: string | null, rule: string): void => void problems.add(name, key, rule);
  const fromDefault = <T>(key: string, fn: (v: string) => T, otherwise: T): T => {
    const d = DEFAULTS[section][key];
    try {
      return d === undefined ? otherwise : fn(d);
    } catch {
      return otherwise;
    }
  };
  const str = (key: string): string | undefined =>
    Object.hasOwn(values, key) ? values[key] : undefined;
  const need = (key: string): string => {
    const v = str(key);
    if (v === undefined) throw new Error(`config key [${name}] ${key} has no default in DEFAULTS`);
    return v;
  };
  const reader: SectionReader = {
    str,
    fail,
    report,
    required(key) {
      const v = str(key);
      if (v === undefined) report(key, 'is required but missing or empty');
      return v ?? '';
    },
    int(key, min = 0, max = Number.MAX_SAFE_INTEGER) {
      const v = need(key);
      const n = Number(v);
      const bad = !/^-?\d+$/.test(v)
        ? `must be a whole number, not "${v}"`
        : n < min || n > max
          ? `must be between ${min} and ${max}, not ${n}`
          : null;
      if (bad === null) return n;
      report(key, bad);
      return fromDefault(key, (d) => Math.min(max, Math.max(min, Number(d) || min)), min);
    },
    bool(key) {
      const v = need(key);
      const truth = (t: string) =>
        /^(true|yes|on|1)$/i.test(t) ? true : /^(false|no|off|0)$/i.test(t) ? false : null;
      const b = truth(v);
      if (b !== null) return b;
      report(key, `must be true or false (or yes/no, on/off, 1/0), not "${v}"`);
      return fromDefault(key, (d) => truth(d) ?? false, false);
    },
    path(key) {
      const v = str(key);
      if (v === undefined) return undefined;
      if (v.includes('\0')) {
        report(key, 'must not contain a NUL character');
        return undefined;
      }
      return isAbsolute(v) ? resolve(v) : resolve(baseDir, v);
    },
    list(key) {
      return (str(key) ?? '').split(/[\s,]+/).filter(Boolean);
    },
    parsed<T>(key: string, fn: (text: string) => T, fallback?: T): T {
      const v = str(key) ?? '';
      try {
        return fn(v);
      } catch (err) {
        const e = problems.add(name, key, (err as Error).message);
        if (fallback !== undefined) return fallback;
        try {
          return fn(DEFAULTS[section][key] ?? '');
        } catch {
          throw e;
        }
      }
    },
    done() {
      for (const key of Object.keys(given)) {
        if (!known.includes(key)) report(key, unknownKey(key, name, section, known));
      }
    },
  };
  return reader;
}

/** What is said of a key that `[name]` does not know: the nearest known key, or the section it belongs in. */
function unknownKey(key: string, name: string, section: ConfigSection, known: string[]): string {
  const hint = didYouMean(key, known);
  const elsewhere = Object.entries(CONFIG_KEYS)
    .filter(([s, keys]) => s !== section && Object.hasOwn(keys, key))
    .map(([s]) => `[${s}]`);
  const moved = elsewhere.length ? ` (it belongs in ${elsewhere.join(' or ')})` : '';
  return `is not a known key of [${name}]${hint || moved}; known keys: ${known.join(', ')}`;
}
