import { randomBytes, randomInt } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const SECRET_LENGTH = 64;

/** 64 chars of [A-Z0-9], the shape of hh.ru's codes and tokens; the prefix counts toward the 64. */
export function randomSecret(prefix = ''): string {
  let out = prefix;
  // randomInt is uniform; mapping random bytes modulo 36 would bias the first letters.
  while (out.length < SECRET_LENGTH) out += ALPHABET.charAt(randomInt(ALPHABET.length));
  return out;
}

export const newCode = (): string => randomSecret();
export const newUserToken = (): string => randomSecret('USER');
export const newAppToken = (): string => randomSecret('APPL');

export function newRequestId(): string {
  return randomBytes(16).toString('hex');
}
