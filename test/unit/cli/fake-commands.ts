/**
 * Stand-ins for the command modules (src/commands/*), so that a parse can be recorded
 * without running anything: each exported function records the arguments the wiring
 * hands it. The ids and export names are the ones the commander program calls; a call
 * to any other export of these modules fails loudly. Used by the in-process flag tests
 * (through vi.mock) and by scripts/record-cli-fixtures.mjs (through an esbuild plugin).
 */
export const COMMAND_EXPORTS: Record<string, readonly string[]> = {
  'commands/app-token': ['default'],
  'commands/authorize-url': ['default'],
  'commands/config': ['configSet', 'configGet', 'configUnset', 'configList'],
  'commands/doctor': ['default'],
  'commands/exchange': ['default'],
  'commands/install-units': ['default'],
  'commands/uninstall-units': ['default'],
  'commands/completion': ['default'],
  'commands/login': ['default'],
  'commands/profile-settings': ['set', 'unset'],
  'commands/profiles': ['default'],
  'commands/store': ['init', 'copy'],
  'commands/refresh/index': ['default'],
  'commands/revoke': ['default'],
  'commands/sandbox': ['default'],
  'commands/status': ['default'],
  'commands/token': ['default'],
  'commands/whoami': ['default'],
};

export type CallRecorder = (call: string, args: unknown[]) => void;
const KEY = '__hhOauthCommandCall';

/** Where the stand-ins report; set by the recorder around one parse. */
export function setRecorder(recorder: CallRecorder | undefined): void {
  (globalThis as Record<string, unknown>)[KEY] = recorder;
}

export function fakeCommandModule(id: string): Record<string, (...args: unknown[]) => Promise<void>> {
  const names = COMMAND_EXPORTS[id];
  if (!names) throw new Error(`no stand-in for ${id}`);
  return Object.fromEntries(
    names.map((name) => [
      name,
      async (...args: unknown[]) => {
        const recorder = (globalThis as Record<string, unknown>)[KEY] as CallRecorder | undefined;
        if (!recorder) throw new Error(`${id}#${name} called outside a recorded parse`);
        recorder(`${id}#${name}`, args);
      },
    ]),
  );
}
