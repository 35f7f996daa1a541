import { describe, expect, it } from 'vitest';
import { hookEnv } from '../../../src/lifecycle/hook-runner';

describe('hookEnv: what the hook is given', () => {
  it('passes our environment on, minus the client secret and the hook setting, plus what the hook is told', () => {
    const env = hookEnv({ PATH: '/bin', HH_CLIENT_SECRET: 's3cret', HH_ON_REFRESH: 'x', HH_CLIENT_ID: 'id', GONE: undefined }, { HH_EVENT: 'refreshed' });
    expect(env).toEqual({ PATH: '/bin', HH_CLIENT_ID: 'id', HH_EVENT: 'refreshed' });
  });
});
