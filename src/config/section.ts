import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../errors.js';

/** Typed, error-naming access to one INI section; `done()` rejects keys nobody asked for. */
export interface SectionReader {
  str(key: string, def?: string): string | undefined;
  required(key: string): string;
  int(key: string, def: number, min?: number, max?: number): number;
  bool(key: string, def: boolean): boolean;
  path(key: string, def?: string): string | undefined;
  list(key: string): string[];
  /** Parse with `fn`; a thrown message becomes a ConfigError naming this key. */
  parsed<T>(key: string, def: string, fn: (text: string) => T): T;
  fail(key: string | null, rule: string): never;
  done(): void;
}

/** A reader for `[name]` of `file`; relative paths resolve against `baseDir`. */
export function sectionReader(
  file: string, name: string, body: Record<string, string> | undefined, baseDir: string,
  known: readonly string[],
): SectionReader {
  const values = body ?? {};
  const fail = (key: string | null, rule: string): never => {
    throw new ConfigError(file, name, key, rule);
  };
  const str = (key: string, def?: string) => {
    const v = values[key];
    return v === undefined || v === '' ? def : v;
  };
  const reader: SectionReader = {
    str,
    fail,
    required(key) {
      return str(key) ?? fail(key, 'is required but missing or empty');
    },
    int(key, def, min = 0, max = Number.MAX_SAFE_INTEGER) {
      const v = str(key);
      if (v === undefined) return def;
      if (!/^-?\d+$/.test(v)) fail(key, `must be a whole number, not "${v}"`);
      const n = Number(v);
      if (n < min || n > max) fail(key, `must be between ${min} and ${max}, not ${n}`);
      return n;
    },
    bool(key, def) {
      const v = str(key);
      if (v === undefined) return def;
      if (/^(true|yes|on|1)$/i.test(v)) return true;
      if (/^(false|no|off|0)$/i.test(v)) return false;
      return fail(key, `must be true or false, not "${v}"`);
    },
    path(key, def) {
      const v = str(key, def);
      if (v === undefined) return undefined;
      if (v.includes('\0')) fail(key, 'must not contain a NUL character');
      return isAbsolute(v) ? resolve(v) : resolve(baseDir, v);
    },
    list(key) {
      return (str(key) ?? '').split(/[\s,]+/).filter(Boolean);
    },
    parsed(key, def, fn) {
      const v = str(key, def)!;
      try {
        return fn(v);
      } catch (err) {
        return fail(key, (err as Error).message);
      }
    },
    done() {
      for (const key of Object.keys(values)) {
        if (!known.includes(key)) fail(key, `is not a known key of [${name}]; known keys: ${known.join(', ')}`);
      }
    },
  };
  return reader;
}
