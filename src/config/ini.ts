import { readFileSync } from 'node:fs';
import { parse, unsafe } from 'ini';
import { ConfigError } from '../errors.js';
import { CONFIG_KEYS } from './defaults.js';

/** One INI file as sections of string values (keys lower-cased, values trimmed). */
export type IniSections = Record<string, Record<string, string>>;

/** Where each section and key of an INI file was written (lines from 1). */
export interface IniPlaces {
  /** The line of each section's first header. */
  sections: ReadonlyMap<string, number>;
  /** The line of each key in each section (the last time it is given: the value that counts). */
  keys: ReadonlyMap<string, ReadonlyMap<string, number>>;
}

/** An INI file read: its sections, where each part was written, and the lines it could not read. */
export interface IniFile {
  sections: IniSections;
  places: IniPlaces;
  /** Lines that are neither a section header nor a key (each with its line); the rest is read. */
  errors: ConfigError[];
}

/**
 * Read a saliweb-style INI file. Python's configparser accepts `key: value` as well as
 * `key = value`; the `ini` package only the latter, so colons are normalised first.
 * Values stay strings: typing is the schema's job. A missing or unreadable file throws.
 */
export function readIni(file: string): IniFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const why =
      (err as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'file not found'
        : `cannot read the file (${(err as Error).message})`;
    throw new ConfigError(file, null, null, why, { cause: err });
  }
  return parseIni(text, file);
}

const SECTION = /^\[([^\]]*)\]\s*$/;

/** The fixed section a key belongs to, for a key written before any section header. */
function homeOf(key: string): string {
  const home = Object.entries(CONFIG_KEYS).find(([, keys]) => Object.hasOwn(keys, key))?.[0];
  return home ? ` (it belongs in [${home}])` : '';
}

/**
 * Parse INI text (see readIni); `file` only names the source in errors. A line that cannot
 * be read, or a key before any section, is reported with its line and left out, so that one
 * reading finds every error of the file.
 */
export function parseIni(text: string, file: string): IniFile {
  const errors: ConfigError[] = [];
  const sectionLines = new Map<string, number>();
  const keyLines = new Map<string, Map<string, number>>();
  let current: string | null = null;
  const lines = text.split(/\r?\n/).map((line, i) => {
    const at = { line: i + 1 };
    const t = line.trimStart();
    if (t === '' || t.startsWith('#') || t.startsWith(';')) return line;
    if (t.startsWith('[')) {
      const m = SECTION.exec(t);
      if (!m) {
        errors.push(
          new ConfigError(
            file,
            null,
            null,
            `"${t.slice(0, 60)}" is not a [section] header: the line holds the header and nothing else`,
            at,
          ),
        );
        return '';
      }
      current = unsafe(m[1]!).trim();
      if (!sectionLines.has(current)) sectionLines.set(current, at.line);
      return t;
    }
    const colon = t.indexOf(':');
    const eq = t.indexOf('=');
    let kv = line;
    if (colon > 0 && (eq < 0 || colon < eq)) kv = `${t.slice(0, colon)}=${t.slice(colon + 1)}`;
    else if (eq < 0) {
      errors.push(
        new ConfigError(
          file,
          current,
          null,
          `line "${t.slice(0, 60)}" is neither [section] nor key = value`,
          at,
        ),
      );
      return '';
    }
    const key = unsafe(kv.slice(0, kv.indexOf('=')))
      .trim()
      .toLowerCase()
      .replace(/\[\]$/, '');
    if (current === null) {
      errors.push(
        new ConfigError(
          file,
          null,
          key,
          `is before any [section]; every key must be inside one${homeOf(key)}`,
          at,
        ),
      );
      return '';
    }
    if (!keyLines.has(current)) keyLines.set(current, new Map());
    keyLines.get(current)!.set(key, at.line);
    return kv;
  });
  const raw = parse(lines.join('\n'));
  const out: IniSections = {};
  for (const [name, body] of Object.entries(raw)) {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) continue;
    const section: Record<string, string> = {};
    for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
      const key = k.trim().toLowerCase();
      if (v !== null && typeof v === 'object') {
        errors.push(
          new ConfigError(file, name, k, 'nested sections and key[] arrays are not supported', {
            line: keyLines.get(name.trim())?.get(key) ?? sectionLines.get(`${name}.${k}`) ?? null,
          }),
        );
        continue;
      }
      section[key] = String(v).trim();
    }
    out[name.trim()] = section;
  }
  return { sections: out, places: { sections: sectionLines, keys: keyLines }, errors };
}
