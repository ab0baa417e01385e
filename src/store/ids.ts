import { customAlphabet } from 'nanoid';

/** Dalke's consonant alphabet: no vowels, so no words, and no look-alike l/1 or o/0. */
export const ID_ALPHABET = 'bcdfghjkmnpqrstvwxyz';

const makers = new Map<number, () => string>();

/** A fresh random job id of `length` consonants (12 → about 52 random bits). */
export function newJobId(length = 12): string {
  let make = makers.get(length);
  if (!make) makers.set(length, (make = customAlphabet(ID_ALPHABET, length)));
  return make();
}

const ID_RE = /^[bcdfghjkmnpqrstvwxyz]{10,40}$/;

/** True when `s` is shaped like a job id: the only names the store treats as jobs. */
export function isJobId(s: string): boolean {
  return ID_RE.test(s);
}
