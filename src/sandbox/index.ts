export { DEFAULT_CLIENT, startSandbox } from './server';
export { redirectUriAllowed } from './redirect-uri';
export type {
  Decision,
  Fault,
  RecordedRequest,
  Sandbox,
  SandboxClient,
  SandboxOptions,
  SandboxStats,
  UserKind,
} from './types';
