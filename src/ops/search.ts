/**
 * The admin's job search (`/admin/jobs?q=`): a query of words, every one of which a job
 * must match, run over the store's catalog (src/store/catalog.ts), newest first, a page at
 * a time. What a word can say:
 *
 *   text            an id starting with it, an email containing it, a type or a state
 *   id:PREFIX       an id starting with PREFIX
 *   email:TEXT      an email address containing TEXT (any case)
 *   type:NAME       that job type (NAME,NAME… for any of several)
 *   state:NAME      that state, or active (queued or running), queued or ended; lists as for type
 *   2026-12-07      submitted that day (UTC; also 2026-12 for a month, 2026 for a year)
 *   since:WHEN      submitted on or after WHEN: a date as above or an age (30min, 12h, 3d, 2w, 6mo, 1y)
 *   before:WHEN     submitted before WHEN
 *   -WORD           not matching WORD
 *
 * A word that cannot be read is an InputError naming it and what would be right.
 */
import { closest } from '../config/suggest.js';
import { InputError } from '../errors.js';
import { ACTIVE_STATES, ALL_STATES, FINAL_STATES, STATES, type State } from '../states.js';
import type { CatalogEntry, CatalogView } from '../store/index.js';

/** What one word of a query asks of a job. */
type Test = (e: CatalogEntry) => boolean;

/** A query read: its tests, and each word as understood (shown above the results). */
export interface Query {
  text: string;
  tests: Test[];
  /** Each word as the search reads it, e.g. "state is failed or archived". */
  read: string[];
  /** True when a word needs a job's type or email (which a job not yet read cannot match). */
  needsFacts: boolean;
}

/** The longest query read, and most words. */
export const MAX_QUERY_LENGTH = 500;
export const MAX_WORDS = 16;

const FILTERS = ['id', 'email', 'type', 'state', 'since', 'before'] as const;
const STATE_GROUPS: Record<string, readonly State[]> = {
  active: ACTIVE_STATES,
  queued: [STATES.INCOMING],
  ended: FINAL_STATES,
};

/** Age units of since:/before: (m alone would be minutes to some and months to others). */
const AGE_UNITS: Record<string, number> = {
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  mo: 30 * 86_400_000,
  y: 365 * 86_400_000,
};

const bad = (word: string, why: string): never => {
  throw new InputError({ q: `"${word.slice(0, 60)}" ${why}` });
};

/** The UTC span [from, to) of a date written as YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDTHH:MM; null if it is not one. */
export function dateSpan(text: string, word = text): [number, number] | null {
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[T ](\d{2}):(\d{2}))?)?)?$/.exec(text);
  if (!m) return null;
  const [y, mo = '01', d = '01', h, mi] = m.slice(1) as [
    string,
    string?,
    string?,
    string?,
    string?,
  ];
  const from = Date.UTC(+y, +mo - 1, +d, h === undefined ? 0 : +h, mi === undefined ? 0 : +mi);
  const back = new Date(from);
  if (
    back.getUTCFullYear() !== +y ||
    back.getUTCMonth() !== +mo - 1 ||
    back.getUTCDate() !== +d ||
    (h !== undefined && (back.getUTCHours() !== +h || back.getUTCMinutes() !== +mi!))
  )
    bad(word, 'is not a date that exists (YYYY-MM-DD, in UTC)');
  const to =
    h !== undefined
      ? from + 60_000
      : m[3] !== undefined
        ? from + 86_400_000
        : m[2] !== undefined
          ? Date.UTC(+y, +mo, 1)
          : Date.UTC(+y + 1, 0, 1);
  return [from, to];
}

/** The instant WHEN names for since:/before: (a date's start, or now minus an age). */
function instant(word: string, when: string, now: number): number {
  const span = dateSpan(when, word);
  if (span) return span[0];
  const m = /^(\d+(?:\.\d+)?)([a-z]+)$/.exec(when);
  if (m && m[2] === 'm') bad(word, 'is ambiguous: write min for minutes or mo for months');
  if (!m || !Object.hasOwn(AGE_UNITS, m[2]!))
    bad(
      word,
      'needs a date (2026-12-07, 2026-12) or an age (30min, 12h, 3d, 2w, 6mo, 1y) after the colon',
    );
  return now - Number(m![1]) * AGE_UNITS[m![2]!]!;
}

/** States a state: value names (a state, a group, or several of them with commas). */
function statesOf(word: string, value: string): State[] {
  const out = new Set<State>();
  for (const v of value.split(',')) {
    if ((ALL_STATES as readonly string[]).includes(v)) out.add(v as State);
    else if (Object.hasOwn(STATE_GROUPS, v)) STATE_GROUPS[v]!.forEach((s) => out.add(s));
    else {
      const names = [...ALL_STATES, ...Object.keys(STATE_GROUPS)];
      const near = closest(v, names);
      bad(
        word,
        `names no state${near ? ` (did you mean ${near}?)` : ''}; states: ${names.join(', ')}`,
      );
    }
  }
  return [...out];
}

/** Read one word (without its leading -) into a test and its reading. */
function readWord(
  word: string,
  types: readonly string[],
  now: number,
): { test: Test; read: string; facts: boolean } {
  const colon = /^([a-z_]+):(.*)$/i.exec(word);
  if (!colon) {
    const span = dateSpan(word);
    if (span) {
      const [from, to] = span;
      return {
        test: (e) => e.submitted >= from && e.submitted < to,
        read: `submitted ${word}`,
        facts: false,
      };
    }
    const w = word.toLowerCase();
    const states = (ALL_STATES as readonly string[]).includes(w) ? [w] : (STATE_GROUPS[w] ?? []);
    return {
      test: (e) =>
        e.id.startsWith(w) ||
        (e.emailLc?.includes(w) ?? false) ||
        (e.type?.startsWith(w) ?? false) ||
        states.includes(e.state),
      read: `"${word}" in the id, email, type or state`,
      facts: true,
    };
  }
  const key = colon[1]!.toLowerCase();
  const value = colon[2]!;
  if (!(FILTERS as readonly string[]).includes(key)) {
    const near = closest(key, FILTERS);
    bad(
      word,
      `uses an unknown filter ${key}:${near ? ` (did you mean ${near}:?)` : ''}; the filters are ${FILTERS.join(', ')}`,
    );
  }
  if (value === '') bad(word, `needs a value after ${key}:`);
  const v = value.toLowerCase();
  switch (key) {
    case 'id':
      if (!/^[a-z]+$/.test(v)) bad(word, 'is not the start of a job id (letters only)');
      return { test: (e) => e.id.startsWith(v), read: `id starts with ${v}`, facts: false };
    case 'email':
      return {
        test: (e) => e.emailLc?.includes(v) ?? false,
        read: `email contains ${v}`,
        facts: true,
      };
    case 'type': {
      const want = v.split(',');
      for (const t of want)
        if (!types.includes(t)) {
          const near = closest(t, types);
          bad(
            word,
            `names no job type${near ? ` (did you mean ${near}?)` : ''}; types: ${types.join(', ') || 'none yet'}`,
          );
        }
      return {
        test: (e) => e.type !== null && want.includes(e.type),
        read: `type is ${want.join(' or ')}`,
        facts: true,
      };
    }
    case 'state': {
      const states = statesOf(word, v);
      return {
        test: (e) => states.includes(e.state),
        read: `state is ${states.join(' or ')}`,
        facts: false,
      };
    }
    default: {
      const at = instant(word, v, now);
      const since = key === 'since';
      const when = new Date(at).toISOString().slice(0, 16).replace('T', ' ');
      return {
        test: since ? (e) => e.submitted >= at : (e) => e.submitted < at,
        read: `submitted ${since ? 'since' : 'before'} ${when} UTC`,
        facts: false,
      };
    }
  }
}

/** Read a query; `types` are the job types it may name. Throws InputError for a word it cannot read. */
export function parseQuery(text: string, types: readonly string[], now = Date.now()): Query {
  if (text.length > MAX_QUERY_LENGTH)
    throw new InputError({
      q: `is ${text.length} characters long; a search reads up to ${MAX_QUERY_LENGTH}`,
    });
  const words = text.split(/\s+/).filter(Boolean);
  if (words.length > MAX_WORDS)
    throw new InputError({ q: `has ${words.length} words; a search reads up to ${MAX_WORDS}` });
  const q: Query = { text, tests: [], read: [], needsFacts: false };
  for (const raw of words) {
    const not = raw.length > 1 && raw.startsWith('-');
    const word = (not ? raw.slice(1) : raw).replace(/^"(.*)"$/, '$1');
    if (!word) continue;
    const { test, read, facts } = readWord(word, types, now);
    // A job not yet read has no type or email: it matches neither a word nor its negation.
    q.tests.push(not ? (facts ? (e) => e.type !== null && !test(e) : (e) => !test(e)) : test);
    q.read.push(not ? `not ${read}` : read);
    q.needsFacts ||= facts;
  }
  return q;
}

/** One page of a search's hits. */
export interface SearchPage {
  hits: CatalogEntry[];
  /** Hits on every page. */
  total: number;
  page: number;
  pages: number;
  perPage: number;
  /** Jobs not yet read that a type or email word could not test (0 when none or not asked). */
  unread: number;
}

/** The `page`-th (from 1) page of `q`'s hits in `view`, newest first. */
export function searchPage(view: CatalogView, q: Query, page: number, perPage = 50): SearchPage {
  const start = (page - 1) * perPage;
  const hits: CatalogEntry[] = [];
  let total = 0;
  const tests = q.tests;
  for (const e of view.entries) {
    let ok = true;
    for (const t of tests)
      if (!t(e)) {
        ok = false;
        break;
      }
    if (!ok) continue;
    if (total >= start && hits.length < perPage) hits.push(e);
    total++;
  }
  return {
    hits,
    total,
    page,
    pages: Math.max(1, Math.ceil(total / perPage)),
    perPage,
    unread: q.needsFacts ? view.unread : 0,
  };
}
