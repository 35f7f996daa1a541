// The module hooks behind record-esm.mjs (they run on Node's loader thread).
import { appendFileSync } from 'node:fs';

let log;
export function initialize(data) {
  log = data.log;
}

export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(log, `esm: ${result.url}\n`);
  return result;
}
