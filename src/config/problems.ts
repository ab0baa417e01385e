import { ConfigError, ConfigErrors } from '../errors.js';
import type { IniPlaces } from './ini.js';

/**
 * The errors found while reading one config file, so that one run reports all of them:
 * each is placed on the line of its key (else of its section's header), and `check()`
 * throws them together, in the order of the file.
 */
export class ConfigProblems {
  readonly errors: ConfigError[] = [];

  constructor(
    readonly file: string,
    private readonly places: IniPlaces,
  ) {}

  /** The line of `key` in `[section]`, else of the section's header; null when neither was written. */
  lineOf(section: string | null, key: string | null): number | null {
    if (section === null) return null;
    const k = key === null ? undefined : this.places.keys.get(section)?.get(key);
    return k ?? this.places.sections.get(section) ?? null;
  }

  /** Record that `[section] key` breaks `rule`; returns the error (to throw where reading cannot go on). */
  add(section: string | null, key: string | null, rule: string): ConfigError {
    const err = new ConfigError(this.file, section, key, rule, {
      line: this.lineOf(section, key),
    });
    this.errors.push(err);
    return err;
  }

  /** Record an error made elsewhere (once). */
  push(err: ConfigError): void {
    if (!this.errors.includes(err)) this.errors.push(err);
  }

  /** Throw what was found: the one error as it is, several as one ConfigErrors (by line; unplaced ones last). */
  check(): void {
    if (this.errors.length === 0) return;
    const sorted = this.errors
      .map((e, i) => ({ e, i }))
      .sort((a, b) => (a.e.line ?? Infinity) - (b.e.line ?? Infinity) || a.i - b.i)
      .map(({ e }) => e);
    if (sorted.length === 1) throw sorted[0]!;
    throw new ConfigErrors(sorted);
  }
}
