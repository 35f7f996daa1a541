import { afterAll } from 'vitest';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/index';

/** User-Agent the sandbox tests send (hh.ru wants a contact in it). */
export const UA = 'test/1.0 (test@example.com)';

/** A start() for sandboxes that are all closed after the file's tests. */
export function useSandboxes(): (opts?: SandboxOptions) => Promise<Sandbox> {
  const started: Sandbox[] = [];
  afterAll(() => Promise.all(started.map((s) => s.close())));
  return async (opts = {}) => {
    const sandbox = await startSandbox(opts);
    started.push(sandbox);
    return sandbox;
  };
}
