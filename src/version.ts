// Replaced at build time by tsup's `define`; the fallback serves vitest runs from source.
declare const __HH_OAUTH_VERSION__: string | undefined;
export const VERSION: string = typeof __HH_OAUTH_VERSION__ === 'string' ? __HH_OAUTH_VERSION__ : '0.0.0-dev';
