/**
 * The build-time generators scripts/package.mjs bundles (build/gen/generate.cjs) and calls:
 * the man page and the .deb's commented settings file, both from the command table and
 * the docs.
 */
export { manPage } from './man-page';
export { envFileTemplate } from './env-file-template';
