export { DEFAULT_CLIENT, startSandbox } from './server';
export { redirectUriAllowed } from './redirect-uri';
export { DOCUMENTED_ERRORS, documentedError } from './hh-errors';
export { BLOCKED_ACCOUNT, EMPLOYER_ACCOUNTS } from './personas';
export type {
  AnswerFault,
  Decision,
  Fault,
  Persona,
  RecordedRequest,
  Reply,
  Sandbox,
  SandboxClient,
  SandboxOptions,
  SandboxStats,
} from './types';
