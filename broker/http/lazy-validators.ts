/**
 * Route validators compiled on a route's first request, once per process.
 *
 * Why: fastify compiles every route's schemas with Ajv when the app gets ready. That was ~200 ms
 * of every broker start on this machine (~80% of `buildBroker`, measured by a CPU profile of 6
 * starts: Ajv's code generation first), where an embedded broker in a test file should start in
 * tens of milliseconds, and most routes are never called in one test. So:
 *
 * - a route's validator is a small function that compiles the real one on its first call and
 *   then only forwards to it (fastify reads `errors` off the function it was given: copied over);
 * - compiled validators are shared by every broker of the process: a test run or an app starting
 *   brokers again and again compiles each distinct schema once. The key is the schema's JSON text
 *   and the Ajv options' (fastify's own pool of Ajv instances is keyed the same way), so a route
 *   built afresh by each broker with equal schemas finds the compiled one.
 *
 * Errors and their wording are unchanged: the same Ajv, with the same options, compiles the same
 * schemas (broker/http/validation-message.ts reads them). A schema that cannot compile now fails
 * on its route's first request rather than at start: test/broker/route-schemas.test.ts compiles
 * every route's schemas so such a schema still fails the suite.
 */
import { AjvCompiler } from '@fastify/ajv-compiler';
import type { FastifySchemaCompiler } from 'fastify';
import { ERROR_CODE_KEYWORD } from './validation-message.js';

type BuildCompiler = ReturnType<typeof AjvCompiler>;
type Validator = ((data: unknown) => unknown) & { errors?: unknown };
type RouteSchema = Parameters<FastifySchemaCompiler<unknown>>[0];

/**
 * fastify's `ajv` option for the broker. verbose: errors carry the schema they failed in, which
 * validation-message.ts reads to word them and to pick their code; removeAdditional false: an
 * unknown field is refused by name, never dropped (a dropped `value` was a tombstone).
 */
export const routeAjvOptions = { customOptions: { coerceTypes: 'array' as const, removeAdditional: false, verbose: true, keywords: [ERROR_CODE_KEYWORD] } };

/** One pool for the process: equal Ajv options get one Ajv instance, whichever broker asks. */
const pool: BuildCompiler = AjvCompiler();
/** Compiled validators by Ajv options and schema text; as many entries as distinct route schemas. */
const compiled = new Map<string, Validator>();

/** `compilersFactory.buildValidator` for Fastify(): same arguments as fastify's default. */
export const lazyValidatorFactory: BuildCompiler = (externalSchemas, options) => {
  const compile = pool(externalSchemas, options);
  const optionsKey = JSON.stringify([externalSchemas, options?.customOptions]);
  return ((route: RouteSchema) => lazily(() => compiledOnce(`${optionsKey}${route.httpPart ?? ''}${JSON.stringify(route.schema)}`, () => compile(route as never) as Validator))) as never;
};

function compiledOnce(key: string, compile: () => Validator): Validator {
  let validator = compiled.get(key);
  if (validator === undefined) {
    validator = compile();
    compiled.set(key, validator);
  }
  return validator;
}

function lazily(compile: () => Validator): Validator {
  let real: Validator | null = null;
  const validator: Validator = (data) => {
    real ??= compile();
    const valid = real(data);
    validator.errors = real.errors;
    return valid;
  };
  return validator;
}

