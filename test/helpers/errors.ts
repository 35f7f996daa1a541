import { HhOauthError } from '../../src/errors';

/** What `fn` throws, or undefined when it returns. */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

/** The code of the HhOauthError `fn` throws: 'not ours' for any other error, undefined when it returns. */
export function errorCodeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof HhOauthError ? err.code : 'not ours';
  }
  return undefined;
}
