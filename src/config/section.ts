import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { DEFAULTS, knownKeys, type ConfigSection } from './defaults.js';

/**
 * Typed, error-naming access to one INI section, its values merged over the section's
 * DEFAULTS by spread (an empty value means the default); `done()` rejects unknown keys.
 */
export interface SectionReader {
  /** The value, else the default, else undefined. */
  str(key: string): string | undefined;
  required(key: string): string;
  int(key: string, min?: number, max?: number): number;
  bool(key: string): boolean;
  path(key: string): string | undefined;
  list(key: string): string[];
  /** Parse the value (or default, or '') with `fn`; a thrown message becomes a ConfigError naming this key. */
  parsed<T>(key: string, fn: (text: string) => T): T;
  fail(key: string | null, rule: string): never;
  done(): void;
}

/** A reader for `[name]` of `file`, a section of kind `section`; relative paths resolve against `baseDir`. */
export function sectionReader(
  file: string,
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
    throw new ConfigError(file, name, key, rule);
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
    required(key) {
      return str(key) ?? fail(key, 'is required but missing or empty');
    },
    int(key, min = 0, max = Number.MAX_SAFE_INTEGER) {
      const v = need(key);
      if (!/^-?\d+$/.test(v)) fail(key, `must be a whole number, not "${v}"`);
      const n = Number(v);
      if (n < min || n > max) fail(key, `must be between ${min} and ${max}, not ${n}`);
      return n;
    },
    bool(key) {
      const v = need(key);
      if (/^(true|yes|on|1)$/i.test(v)) return true;
      if (/^(false|no|off|0)$/i.test(v)) return false;
      return fail(key, `must be true or false, not "${v}"`);
    },
    path(key) {
      const v = str(key);
      if (v === undefined) return undefined;
      if (v.includes('\0')) fail(key, 'must not contain a NUL character');
      return isAbsolute(v) ? resolve(v) : resolve(baseDir, v);
    },
    list(key) {
      return (str(key) ?? '').split(/[\s,]+/).filter(Boolean);
    },
    parsed(key, fn) {
      const v = str(key) ?? '';
      try {
        return fn(v);
      } catch (err) {
        return fail(key, (err as Error).message);
      }
    },
    done() {
      for (const key of Object.keys(given)) {
        if (!known.includes(key))
          fail(key, `is not a known key of [${name}]; known keys: ${known.join(', ')}`);
      }
    },
  };
  return reader;
}
