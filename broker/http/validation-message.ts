/**
 * Schema validation failures in the user's words. Fastify hands over ajv's error objects; a user
 * should read `unknown field "vlaue" in records[0] (did you mean "value"?)`, never
 * `body/records/0 must NOT have additional properties`.
 *
 * Ajv runs with `verbose: true` (broker/app.ts), so each error carries the schema it failed in:
 * a schema may name the code its failures answer with (`errorCode`, e.g. SPOOL_ERR_INVALID_CONFIG
 * for topic configs); everything else is SPOOL_ERR_BAD_REQUEST.
 */
import type { FastifySchemaValidationError } from 'fastify';
import { type BrokerErrorCode, BrokerError } from '../errors.js';

/** The ajv keyword that lets a schema choose its failures' code (registered in broker/app.ts). */
export const ERROR_CODE_KEYWORD = 'errorCode';

type AjvError = FastifySchemaValidationError & { schema?: unknown; parentSchema?: Record<string, unknown>; data?: unknown };

const PART_NAMES: Record<string, string> = { body: 'the body', querystring: 'the query string', params: 'the path', headers: 'the headers' };

/** `/records/0/value` → `records[0].value` (JSON pointer, with ~1 and ~0 unescaped). */
export function fieldPath(instancePath: string): string {
  let path = '';
  for (const raw of instancePath.split('/').slice(1)) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    path += /^\d+$/.test(segment) ? `[${segment}]` : path === '' ? segment : `.${segment}`;
  }
  return path;
}

function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0]!;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j]!;
      previous[j] = Math.min(above + 1, previous[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return previous[b.length]!;
}

/** The known name closest to a typo, when it is close enough to be what was meant. */
export function closestName(typo: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(typo.length / 3)) + 1;
  for (const name of known) {
    const distance = editDistance(typo.toLowerCase(), name.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [name, distance];
  }
  return best;
}

const TYPE_WORDS: Record<string, string> = { integer: 'an integer', number: 'a number', string: 'a string', object: 'an object', array: 'an array', boolean: 'true or false', null: 'null' };

function typeWords(type: unknown): string {
  const types = Array.isArray(type) ? type : String(type).split(',');
  return types.map((name) => TYPE_WORDS[name] ?? name).join(' or ');
}

function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** The alternatives of a union of literals, or null when some branch is not a literal. */
function literalChoices(schema: unknown): string[] | null {
  const branches = (schema as { anyOf?: Array<{ const?: unknown }> } | undefined)?.anyOf;
  if (!Array.isArray(branches) || !branches.every((branch) => 'const' in branch)) return null;
  return branches.map((branch) => String(branch.const));
}

function sentence(error: AjvError, part: string): { message: string; field: string; limit?: unknown } {
  const path = fieldPath(error.instancePath);
  const where = path === '' ? PART_NAMES[part] ?? part : path;
  const subject = path === '' ? PART_NAMES[part] ?? part : path;
  const params = error.params as Record<string, unknown>;
  const noun = part === 'querystring' ? 'query parameter' : 'field';
  switch (error.keyword) {
    case 'additionalProperties': {
      const name = String(params.additionalProperty);
      const known = Object.keys((error.parentSchema?.properties as object | undefined) ?? {});
      const guess = closestName(name, known);
      const list = known.length > 0 ? `known: ${known.join(', ')}` : '';
      const hint = guess ? ` (did you mean "${guess}"? ${list})` : list ? ` (${list})` : '';
      return { message: `unknown ${noun} "${name}" in ${where}${hint}`, field: path === '' ? name : `${path}.${name}` };
    }
    case 'required': {
      const missing = String(params.missingProperty);
      // Ajv reports a missing field before an unknown one: `{"record": [...]}` is most likely a typo.
      const given = error.data !== null && typeof error.data === 'object' ? Object.keys(error.data) : [];
      const typo = given.find((name) => closestName(name, [missing]) === missing);
      const hint = typo === undefined ? '' : ` (found "${typo}": a typo?)`;
      return { message: `missing ${noun} "${missing}" in ${where}${hint}`, field: path === '' ? missing : `${path}.${missing}` };
    }
    case 'type':
      return { message: `${subject} must be ${typeWords(params.type)}`, field: path };
    case 'minimum':
    case 'exclusiveMinimum':
      return { message: `${subject} must be ${error.keyword === 'minimum' ? 'at least' : 'above'} ${String(params.limit)}, got ${shown(error.data)}`, field: path, limit: params.limit };
    case 'maximum':
    case 'exclusiveMaximum':
      return { message: `${subject} must be ${error.keyword === 'maximum' ? 'at most' : 'below'} ${String(params.limit)}, got ${shown(error.data)}`, field: path, limit: params.limit };
    case 'minLength':
      return { message: `${subject} must have at least ${String(params.limit)} characters`, field: path, limit: params.limit };
    case 'maxLength':
      return { message: `${subject} must have at most ${String(params.limit)} characters`, field: path, limit: params.limit };
    case 'minItems':
      return { message: `${subject} must hold at least ${String(params.limit)} items`, field: path, limit: params.limit };
    case 'maxItems':
      return { message: `${subject} may hold at most ${String(params.limit)} items`, field: path, limit: params.limit };
    case 'maxProperties':
      return { message: `${subject} may hold at most ${String(params.limit)} entries`, field: path, limit: params.limit };
    case 'pattern':
      return { message: `${subject} ${shown(error.data)} does not have the expected form ${String(params.pattern)}`, field: path };
    case 'propertyNames':
      return { message: `${subject} has a key ${shown(params.propertyName)} of the wrong form`, field: path };
    case 'const':
      return { message: `${subject} must be ${shown(params.allowedValue)}`, field: path };
    case 'enum':
      return { message: `${subject} must be one of ${(params.allowedValues as unknown[]).map(String).join(', ')}`, field: path };
    case 'anyOf': {
      const choices = literalChoices(error.schema === undefined ? undefined : { anyOf: error.schema });
      if (choices) return { message: `${subject} must be one of ${choices.join(', ')}, got ${shown(error.data)}`, field: path };
      return { message: `${subject} ${shown(error.data)} matches none of its accepted forms (see /docs)`, field: path };
    }
    default:
      return { message: `${subject} ${error.message ?? 'is invalid'}`, field: path };
  }
}

/**
 * One BrokerError for a failed validation. Of ajv's errors, a union's summary (`anyOf`) says more
 * than its branches' failures, so it is preferred; otherwise the first error is reported.
 */
export function validationError(errors: FastifySchemaValidationError[], part = 'body'): BrokerError {
  const list = errors as AjvError[];
  const chosen = list.find((error) => error.keyword === 'anyOf') ?? list[0];
  if (!chosen) return new BrokerError('SPOOL_ERR_BAD_REQUEST', `${PART_NAMES[part] ?? part} is invalid`);
  const { message, field, limit } = sentence(chosen, part);
  const schemaCode = (chosen.parentSchema?.[ERROR_CODE_KEYWORD] as BrokerErrorCode | undefined) ?? 'SPOOL_ERR_BAD_REQUEST';
  return new BrokerError(schemaCode, message, { field, ...(limit === undefined ? {} : { limit }) });
}
