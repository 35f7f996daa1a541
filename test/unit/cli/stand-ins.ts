import { vi } from 'vitest';

/**
 * Replaces every command module with its recording stand-in (fake-commands.ts), for the
 * test files that import this first: the commander program then runs for real, and no
 * command does anything. vi.mock is hoisted above the imports of the importing file.
 */
vi.mock('../../../src/commands/app-token', async () => (await import('./fake-commands')).fakeCommandModule('commands/app-token'));
vi.mock('../../../src/commands/authorize-url', async () => (await import('./fake-commands')).fakeCommandModule('commands/authorize-url'));
vi.mock('../../../src/commands/config', async () => (await import('./fake-commands')).fakeCommandModule('commands/config'));
vi.mock('../../../src/commands/doctor', async () => (await import('./fake-commands')).fakeCommandModule('commands/doctor'));
vi.mock('../../../src/commands/exchange', async () => (await import('./fake-commands')).fakeCommandModule('commands/exchange'));
vi.mock('../../../src/commands/install-units', async () => (await import('./fake-commands')).fakeCommandModule('commands/install-units'));
vi.mock('../../../src/commands/uninstall-units', async () => (await import('./fake-commands')).fakeCommandModule('commands/uninstall-units'));
vi.mock('../../../src/commands/completion', async () => (await import('./fake-commands')).fakeCommandModule('commands/completion'));
vi.mock('../../../src/commands/login', async () => (await import('./fake-commands')).fakeCommandModule('commands/login'));
vi.mock('../../../src/commands/profile-settings', async () => (await import('./fake-commands')).fakeCommandModule('commands/profile-settings'));
vi.mock('../../../src/commands/profiles', async () => (await import('./fake-commands')).fakeCommandModule('commands/profiles'));
vi.mock('../../../src/commands/store', async () => (await import('./fake-commands')).fakeCommandModule('commands/store'));
vi.mock('../../../src/commands/refresh/index', async () => (await import('./fake-commands')).fakeCommandModule('commands/refresh/index'));
vi.mock('../../../src/commands/revoke', async () => (await import('./fake-commands')).fakeCommandModule('commands/revoke'));
vi.mock('../../../src/commands/sandbox', async () => (await import('./fake-commands')).fakeCommandModule('commands/sandbox'));
vi.mock('../../../src/commands/status', async () => (await import('./fake-commands')).fakeCommandModule('commands/status'));
vi.mock('../../../src/commands/token', async () => (await import('./fake-commands')).fakeCommandModule('commands/token'));
vi.mock('../../../src/commands/whoami', async () => (await import('./fake-commands')).fakeCommandModule('commands/whoami'));
