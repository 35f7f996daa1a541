#!/usr/bin/env node
// node scripts/hh-openapi-subset.mjs [--check]: writes test/fixtures/hh-openapi/subset.json,
// the part of hh.ru's OpenAPI specification that hh-oauth talks to, for the sandbox's schema
// test (test/unit/sandbox/schemas.test.ts). The fixture is committed, so the tests never need
// the 1.5 MB source; --check only compares (exit 1 when the fixture is stale).
//
// Source: ../shared/reference/hh-openapi.yml from the repository root (HH_OPENAPI_YML overrides),
// hh.ru's specification as published at https://api.hh.ru/openapi, in a copy dated 2025-12-30.
//
// What is kept, verbatim (descriptions included: they are the documentation of the values):
// - the operations below, with all of their declared responses;
// - every component they reach through $ref, transitively (schemas, parameters, responses,
//   examples), so the subset resolves on its own;
// - hh.ru's general error bodies (not found, bad argument, bad request), which the error
//   reference (docs/errors.md of hhru/api) says any request can get.
// The one schema the specification lacks, bad_user_agent's body, is written out below from
// the error reference and kept apart, under x-hh-errors, so that nobody mistakes it for hh.ru's.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const root = fileURLToPath(new URL('..', import.meta.url));
const SOURCE = resolve(process.env.HH_OPENAPI_YML ?? join(root, '..', 'shared', 'reference', 'hh-openapi.yml'));
const TARGET = join(root, 'test', 'fixtures', 'hh-openapi', 'subset.json');
// The copy's date is not inside the file (its info.version is "1.0.0"): shared/reference/HH-FACTS.md names it.
const SOURCE_DATE = '2025-12-30';

/** [path, method]: the token endpoint (the spec's path; POST /token is the same operation), revoke, /me, manager accounts. */
const OPERATIONS = [
  ['/oauth/token', 'post'],
  ['/oauth/token', 'delete'],
  ['/me', 'get'],
  ['/manager_accounts/mine', 'get'],
];
const GENERAL_ERRORS = ['ErrorsCommonNotFoundErrors', 'ErrorsCommonBadArgumentErrors', 'ErrorsCommonBadRequestErrors'];

/** From hh-errors.ru.md, section user-agent ("Неверный User-Agent"): 400, type bad_user_agent, value unset | blacklisted. */
const BAD_USER_AGENT = {
  title: 'bad_user_agent (from hhru/api docs/errors.md, section user-agent; the specification has no schema for it)',
  allOf: [
    { $ref: '#/components/schemas/ErrorsCommonErrorRequestId' },
    {
      type: 'object',
      required: ['errors'],
      properties: {
        errors: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['type', 'value'],
            properties: {
              type: { type: 'string', enum: ['bad_user_agent'] },
              value: { type: 'string', enum: ['unset', 'blacklisted'] },
            },
          },
        },
      },
    },
  ],
};

export function buildSubset(text) {
  const spec = YAML.parse(text);
  const components = {};
  const pending = [];

  // Collects every $ref, including those inside examples: the subset must resolve wherever a tool looks.
  const collect = (node) => {
    if (Array.isArray(node)) return node.forEach(collect);
    if (node === null || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') pending.push(value);
      else collect(value);
    }
  };
  const include = (ref) => {
    // A pointer may go deeper than the component (examples/X/value): keep the whole component.
    const match = /^#\/components\/([^/]+)\/([^/]+)((?:\/[^/]+)*)$/.exec(ref);
    if (!match) throw new Error(`unexpected $ref ${ref}`);
    const [, kind, name, rest] = match;
    const target = spec.components?.[kind]?.[name];
    const pointed = rest.split('/').slice(1).reduce((node, part) => node?.[part], target);
    if (pointed === undefined) throw new Error(`$ref ${ref} does not resolve in the specification`);
    components[kind] ??= {};
    if (components[kind][name] !== undefined) return;
    components[kind][name] = target;
    collect(target);
  };

  const paths = {};
  for (const [path, method] of OPERATIONS) {
    const operation = spec.paths?.[path]?.[method];
    if (!operation) throw new Error(`the specification has no ${method.toUpperCase()} ${path}`);
    paths[path] ??= {};
    paths[path][method] = operation;
    collect(operation);
  }
  for (const name of GENERAL_ERRORS) pending.push(`#/components/schemas/${name}`);
  while (pending.length > 0) include(pending.shift());

  // Stable order, so that a regeneration from the same source changes nothing.
  const sorted = Object.fromEntries(
    Object.keys(components)
      .sort()
      .map((kind) => [kind, Object.fromEntries(Object.keys(components[kind]).sort().map((n) => [n, components[kind][n]]))]),
  );
  return {
    openapi: spec.openapi,
    info: {
      title: `${spec.info?.title ?? 'HeadHunter API'}: the subset hh-oauth uses`,
      version: spec.info?.version,
      'x-source': `hh.ru's OpenAPI specification (https://api.hh.ru/openapi), copy dated ${SOURCE_DATE}, kept as shared/reference/hh-openapi.yml`,
      'x-source-sha256': createHash('sha256').update(text).digest('hex'),
      'x-generated-by': 'scripts/hh-openapi-subset.mjs (node scripts/hh-openapi-subset.mjs regenerates it; do not edit by hand)',
      'x-operations': OPERATIONS.map(([path, method]) => `${method.toUpperCase()} ${path}`),
      'x-note':
        'POST /token (the current URL) is the same operation as POST /oauth/token (the path the specification lists). ' +
        'x-hh-errors holds what the error reference (hhru/api docs/errors.md, 2025-12-19) documents and the specification does not.',
    },
    paths,
    components: sorted,
    'x-hh-errors': { schemas: { BadUserAgentErrors: BAD_USER_AGENT } },
  };
}

function main() {
  if (!existsSync(SOURCE)) {
    console.error(`hh-openapi-subset: ${SOURCE} not found (set HH_OPENAPI_YML to hh-openapi.yml)`);
    process.exit(2);
  }
  const out = `${JSON.stringify(buildSubset(readFileSync(SOURCE, 'utf8')), null, 2)}\n`;
  if (process.argv.includes('--check')) {
    const current = existsSync(TARGET) ? readFileSync(TARGET, 'utf8') : '';
    if (current !== out) {
      console.error(`hh-openapi-subset: ${TARGET} is stale; run node scripts/hh-openapi-subset.mjs`);
      process.exit(1);
    }
    console.log(`hh-openapi-subset: ${TARGET} is up to date`);
    return;
  }
  mkdirSync(dirname(TARGET), { recursive: true });
  writeFileSync(TARGET, out);
  console.log(`hh-openapi-subset: wrote ${TARGET} (${Buffer.byteLength(out)} bytes) from ${SOURCE}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
