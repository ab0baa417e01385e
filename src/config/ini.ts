import { readFileSync } from 'node:fs';
import { parse } from 'ini';
import { ConfigError } from '../errors.js';

/** One INI file as sections of string values (keys lower-cased, values trimmed). */
export type IniSections = Record<string, Record<string, string>>;

/**
 * Read a saliweb-style INI file. Python's configparser accepts `key: value` as well as
 * `key = value`; the `ini` package only the latter, so colons are normalised first.
 * Values stay strings: typing is the schema's job.
 */
export function readIni(file: string): IniSections {
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

/** Parse INI text (see readIni); `file` only names the source in errors. */
export function parseIni(text: string, file: string): IniSections {
  const lines = text.split(/\r?\n/).map((line) => {
    const t = line.trimStart();
    if (t === '' || t.startsWith('[') || t.startsWith('#') || t.startsWith(';')) return line;
    const colon = t.indexOf(':');
    const eq = t.indexOf('=');
    if (colon > 0 && (eq < 0 || colon < eq)) return `${t.slice(0, colon)}=${t.slice(colon + 1)}`;
    if (eq < 0)
      throw new ConfigError(
        file,
        null,
        null,
        `line "${t.slice(0, 60)}" is neither [section] nor key = value`,
      );
    return line;
  });
  const raw = parse(lines.join('\n'));
  const out: IniSections = {};
  for (const [name, body] of Object.entries(raw)) {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new ConfigError(file, null, name, 'every key must be inside a [section]');
    }
    const section: Record<string, string> = {};
    for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
      if (v !== null && typeof v === 'object') {
        throw new ConfigError(file, name, k, 'nested sections and key[] arrays are not supported');
      }
      section[k.trim().toLowerCase()] = String(v).trim();
    }
    out[name.trim()] = section;
  }
  return out;
}
