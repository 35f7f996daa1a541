import { describe, expectTypeOf, it } from 'vitest';
import type { LOGIN, INSTALL_UNITS, SANDBOX, EXCHANGE, CONFIG_SET, PROFILES_SET } from '../../../src/cli/commands';
import type { GlobalOptions } from '../../../src/cli/global-options';
import type { REFRESH } from '../../../src/cli/hot-commands';
import type { ArgsOf, OptionKey, OptionsFor, RunnerOf } from '../../../src/cli/spec';
import type { InstallUnitsOptions } from '../../../src/commands/install-units';
import type { LoginOptions } from '../../../src/commands/login';
import type { RefreshOptions } from '../../../src/commands/refresh/index';
import type { SandboxCommandOptions } from '../../../src/commands/sandbox';

/**
 * The options types derived from the declarations are the ones the commands were written
 * against (the hand-written interfaces they replace). These are checked by the compiler
 * (`npx tsc --noEmit`); at run time each test only runs its no-op assertions.
 */
/** One object type, as the derived types are (an intersection is the same type, spelled apart). */
type Flat<T> = { [K in keyof T]: T[K] };

describe('options types derived from the command table', () => {
  it('names an option as commander stores it', () => {
    expectTypeOf<OptionKey<'--dry-run'>>().toEqualTypeOf<'dryRun'>();
    expectTypeOf<OptionKey<'--no-open'>>().toEqualTypeOf<'open'>();
    expectTypeOf<OptionKey<'-y, --yes'>>().toEqualTypeOf<'yes'>();
    expectTypeOf<OptionKey<'--listen <[addr:]port>'>>().toEqualTypeOf<'listen'>();
    expectTypeOf<OptionKey<'--skip-choose-account'>>().toEqualTypeOf<'skipChooseAccount'>();
  });

  it('gives the global options their types', () => {
    expectTypeOf<GlobalOptions>().toEqualTypeOf<{ json?: boolean; envFile?: string; onRefresh?: string; profile?: string; managerAccount?: string; color: boolean }>();
  });

  it('makes defaulted and --no- options required, flags boolean, values strings, lists arrays, choices unions', () => {
    expectTypeOf<LoginOptions>().toEqualTypeOf<OptionsFor<typeof LOGIN>>();
    expectTypeOf<LoginOptions>().toEqualTypeOf<
      Flat<GlobalOptions & { listen: string; timeout: string; forceLogin?: boolean; skipChooseAccount?: boolean; open: boolean; probe: boolean; checkOnly?: boolean }>
    >();
    expectTypeOf<RefreshOptions>().toEqualTypeOf<
      Flat<GlobalOptions & { force?: boolean; all?: boolean; concurrency?: string; rate?: string; watch?: boolean; logFormat?: 'human' | 'json'; listen?: string }>
    >();
    expectTypeOf<SandboxCommandOptions>().toEqualTypeOf<
      Flat<GlobalOptions & { host: string; port: string; expiresIn: string; codeTtl: string; redirectUri: string; deny?: boolean; rateLimit?: string; persona: 'employer' | 'employer_integration' | 'applicant' }>
    >();
    expectTypeOf<InstallUnitsOptions>().toEqualTypeOf<OptionsFor<typeof INSTALL_UNITS>>();
    expectTypeOf<InstallUnitsOptions['onCalendar']>().toEqualTypeOf<string[] | undefined>();
    expectTypeOf<InstallUnitsOptions['nginx']>().toEqualTypeOf<boolean>();
    expectTypeOf<InstallUnitsOptions['listen']>().toEqualTypeOf<string>();
    expectTypeOf<InstallUnitsOptions['tokenGroup']>().toEqualTypeOf<string | undefined>();
  });

  it('passes positional arguments first: required as string, optional as string | undefined', () => {
    expectTypeOf<ArgsOf<(typeof EXCHANGE)['arguments']>>().toEqualTypeOf<[string | undefined]>();
    expectTypeOf<ArgsOf<(typeof CONFIG_SET)['arguments']>>().toEqualTypeOf<[string, string | undefined]>();
    expectTypeOf<RunnerOf<typeof PROFILES_SET>>().toEqualTypeOf<(key: string, value: string, opts: GlobalOptions) => Promise<void>>();
    expectTypeOf<RunnerOf<typeof REFRESH>>().parameters.toEqualTypeOf<[RefreshOptions]>();
  });
});
