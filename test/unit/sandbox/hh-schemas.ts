import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import subset from '../../fixtures/hh-openapi/subset.json';

/**
 * hh.ru's schemas (test/fixtures/hh-openapi/subset.json, cut from hh.ru's OpenAPI
 * specification by scripts/hh-openapi-subset.mjs) as validators, and the rule that says
 * which schema an answer of the sandbox must meet.
 *
 * OpenAPI 3.0 is JSON Schema plus a few words. Ajv reads `nullable` itself (it adds null
 * to `type`); `example` and `discriminator` are annotations to it. The discriminator is
 * applied here as OpenAPI defines it: `auth_type` picks the schema from the mapping (the
 * `oneOf` of /me cannot decide alone: every profile also matches MeAnyProfile).
 */
const ROOT = 'hh-openapi';
// strictTypes off: the spec puts `required` beside a `$ref` with no `type` (UserStatusesApplicant),
// which JSON Schema allows; every other strict check (unknown keywords and formats) stays on.
const ajv = new Ajv({ strict: true, strictTypes: false, allErrors: true });
addFormats(ajv);
// Formats the specification names without defining them: hh.ru's own shapes.
ajv.addFormat('phone', /^\+?\d{10,15}$/); // the spec's example is "79164555555"
ajv.addFormat('dateTime', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}$/); // "YYYY-MM-DDThh:mm:ss±hhmm", the spec's date format
for (const keyword of ['example', 'discriminator', 'components', 'x-hh-errors']) ajv.addKeyword(keyword);
ajv.addSchema({ $id: ROOT, components: subset.components, 'x-hh-errors': subset['x-hh-errors'] });

type Schemas = typeof subset.components.schemas & typeof subset['x-hh-errors']['schemas'];
export type SchemaName = keyof Schemas;

const compiled = new Map<string, ValidateFunction>();
function validator(name: SchemaName): ValidateFunction {
  const pointer = name in subset.components.schemas ? `#/components/schemas/${name}` : `#/x-hh-errors/schemas/${name}`;
  let validate = compiled.get(pointer);
  if (!validate) {
    validate = ajv.compile({ $ref: `${ROOT}${pointer}` });
    compiled.set(pointer, validate);
  }
  return validate;
}

function rawSchema(name: SchemaName): Record<string, unknown> {
  const all = { ...subset.components.schemas, ...subset['x-hh-errors'].schemas } as Record<string, Record<string, unknown>>;
  const schema = all[name];
  if (!schema) throw new Error(`no schema ${name} in the fixture`);
  return schema;
}

/** The problems of `body` against the named schema; [] when it conforms. */
export function schemaErrors(name: SchemaName, body: unknown): string[] {
  const discriminator = rawSchema(name).discriminator as { propertyName: string; mapping: Record<string, string> } | undefined;
  if (discriminator) {
    const key = (body as Record<string, unknown> | null)?.[discriminator.propertyName];
    const target = typeof key === 'string' ? discriminator.mapping[key] : undefined;
    if (!target) return [`${name}: ${discriminator.propertyName} ${JSON.stringify(key)} is not one of ${Object.keys(discriminator.mapping).join(', ')}`];
    return schemaErrors(target.split('/').pop() as SchemaName, body).map((e) => `${name} → ${e}`);
  }
  const validate = validator(name);
  if (validate(body)) return [];
  return (validate.errors ?? []).map((e) => `${name}: ${e.instancePath || '/'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
}

type Operation = { responses: Record<string, { content?: Record<string, { schema: { $ref: string } }>; $ref?: string }> };
function declared(method: string, path: string, status: number): SchemaName | 'no body' | undefined {
  const ops = (subset.paths as Record<string, Record<string, Operation>>)[path];
  const response = ops?.[method.toLowerCase()]?.responses[String(status)];
  if (!response) return undefined;
  const ref = response.content?.['application/json']?.schema.$ref;
  return ref ? (ref.split('/').pop() as SchemaName) : 'no body';
}

export interface Answer {
  method: string;
  /** The path the sandbox answered: POST /token is validated as the spec's POST /oauth/token. */
  path: string;
  status: number;
  body: unknown;
}

/**
 * The schema an answer must meet, by hh.ru's rules:
 * - what the specification declares for the operation and status;
 * - the token endpoint has two error shapes: RFC 6749 bodies (`error`) meet the 400 schema,
 *   also for `403 forbidden "app token refresh too early"`, which the error reference gives
 *   as a 403 and the specification lists in the 400 schema's InvalidClientError; bodies with
 *   `errors[]` meet its declared 403 schema;
 * - errors any request can get (the error reference's general section): bad_user_agent (400),
 *   not_found (404), bad_argument (400), bad_request (a body hh.ru cannot read: 400, 405, 413);
 * - an `oauth` error from a path the specification is not cut for meets the authorization schema.
 */
export function schemaFor(answer: Answer): SchemaName | 'no body' {
  const path = answer.path === '/token' ? '/oauth/token' : answer.path;
  const body = answer.body as Record<string, unknown> | undefined;
  const firstType = Array.isArray(body?.errors) ? (body.errors[0] as Record<string, unknown> | undefined)?.type : undefined;
  if (firstType === 'bad_user_agent' && answer.status === 400) return 'BadUserAgentErrors';
  if (firstType === 'not_found' && answer.status === 404) return 'ErrorsCommonNotFoundErrors';
  if (firstType === 'bad_argument' && answer.status === 400) return 'ErrorsCommonBadArgumentErrors';
  if (firstType === 'bad_request' && [400, 405, 413].includes(answer.status)) return 'ErrorsCommonBadRequestErrors';
  if (path === '/oauth/token' && answer.method === 'POST' && answer.status === 403 && typeof body?.error === 'string') {
    return 'ErrorsCommonBadAuthorizationBadParameters';
  }
  const fromSpec = declared(answer.method, path, answer.status);
  if (fromSpec) return fromSpec;
  if (answer.status === 403 && firstType !== undefined && !(path in subset.paths)) return 'ErrorsCommonBadAuthorizationErrors';
  throw new Error(`hh.ru declares no answer ${answer.status} for ${answer.method} ${answer.path}`);
}

/** The problems of a whole answer: [] when hh.ru's schema for it accepts it. */
export function answerErrors(answer: Answer): string[] {
  let schema: SchemaName | 'no body';
  try {
    schema = schemaFor(answer);
  } catch (err) {
    return [(err as Error).message];
  }
  if (schema === 'no body') return answer.body === undefined ? [] : [`${answer.method} ${answer.path} ${answer.status} has no body in the spec`];
  return schemaErrors(schema, answer.body);
}
