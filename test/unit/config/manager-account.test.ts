import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config';
import { errorCodeOf } from '../../helpers';

const BASE_ENV = { HH_TOKEN_FILE: '/srv/hh/token.json', HH_CONFIG_DIR: '/nonexistent/hh-oauth-test' };

describe('manager account ids (X-Manager-Account-Id)', () => {
  it('are digits only: a bad flag is a usage error, a bad environment value a config error, checked when used', () => {
    expect(loadConfig({ managerAccount: '5000002' }, {}, BASE_ENV).apiHeaders()).toEqual({ 'X-Manager-Account-Id': '5000002' });
    expect(loadConfig({}, {}, BASE_ENV).apiHeaders()).toEqual({});
    for (const bad of ['abc', '12 3', '1\r\nX-Evil: 1', '-1', '1'.repeat(21)]) {
      const flag = loadConfig({ managerAccount: bad }, {}, BASE_ENV);
      expect(errorCodeOf(() => flag.apiHeaders())).toBe('usage');
      const env = loadConfig({}, {}, { ...BASE_ENV, HH_MANAGER_ACCOUNT_ID: bad });
      expect(errorCodeOf(() => env.apiHeaders())).toBe('config');
      expect(env.tokenFile()).toBe('/srv/hh/token.json');
    }
  });
});
