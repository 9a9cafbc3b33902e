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
 * - but a route compiled on its first request holds every other request of that moment (10-45 ms
 *   per schema here): the data path's routes are compiled once the broker listens, in the
 *   background, one schema per turn (lazyValidators().warm, called by broker/app.ts).
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
  const compile = compilerFor(externalSchemas, options);
  return ((route: RouteSchema) => lazily(() => compile(route)).validator) as never;
};

/**
 * A broker's validator factory that also keeps its routes' compile steps, so that warm() can
 * compile the busiest routes' validators ahead of their first request. Measured (bench:latency-stages,
 * 2026-11-30): a fresh broker compiled the produce route's validators (30 ms) on the first
 * produce, and the group heartbeat's and offset commit's (110 ms together, load ~5) a second into
 * a live consumer's run, each on the event loop: every produce and delivery of that moment
 * waited, and in a 5-second W2@10k run those stalls alone made the p99.
 */
export function lazyValidators(): { buildValidator: BuildCompiler; warm(routes: readonly string[]): () => void } {
  /** `METHOD /url` → the compile steps of its validators (one per part and content type). */
  const steps = new Map<string, Array<() => void>>();
  const buildValidator: BuildCompiler = (externalSchemas, options) => {
    const compile = compilerFor(externalSchemas, options);
    return ((route: RouteSchema) => {
      const { validator, compileNow } = lazily(() => compile(route));
      const key = `${String(route.method)} ${route.url}`;
      steps.set(key, [...(steps.get(key) ?? []), compileNow]);
      return validator;
    }) as never;
  };
  /**
   * Compiles the validators of `routes` (`METHOD /url`), one schema per turn of the event loop so
   * that requests arriving meanwhile wait for one schema at most, never for the lot. Answers a
   * function that stops it (on close). The turns do not keep the process alive.
   */
  const warm = (routes: readonly string[]) => {
    const queue = routes.flatMap((route) => steps.get(route) ?? []);
    let next: NodeJS.Immediate | null = null;
    const step = () => {
      try {
        queue.shift()?.();
      } catch {
        // A schema that does not compile: left to the route's first request, which compiles it
        // again and answers the error as it did before warming existed, instead of an uncaught
        // exception in an immediate taking the broker down.
      }
      next = queue.length > 0 ? setImmediate(step).unref() : null;
    };
    next = queue.length > 0 ? setImmediate(step).unref() : null;
    return () => {
      queue.length = 0;
      if (next) clearImmediate(next);
    };
  };
  return { buildValidator, warm };
}

/** Compiles a route's schema once per process (see compiledOnce). */
function compilerFor(externalSchemas: Parameters<BuildCompiler>[0], options: Parameters<BuildCompiler>[1]): (route: RouteSchema) => Validator {
  const compile = pool(externalSchemas, options);
  const optionsKey = JSON.stringify([externalSchemas, options?.customOptions]);
  return (route) => compiledOnce(`${optionsKey}${route.httpPart ?? ''}${JSON.stringify(route.schema)}`, () => compile(route as never) as Validator);
}

function compiledOnce(key: string, compile: () => Validator): Validator {
  let validator = compiled.get(key);
  if (validator === undefined) {
    validator = compile();
    compiled.set(key, validator);
  }
  return validator;
}

/** How many distinct route schemas this process has compiled (tests watch it). */
export function compiledValidatorCount(): number {
  return compiled.size;
}

function lazily(compile: () => Validator): { validator: Validator; compileNow: () => void } {
  let real: Validator | null = null;
  const validator: Validator = (data) => {
    real ??= compile();
    const valid = real(data);
    validator.errors = real.errors;
    return valid;
  };
  return {
    validator,
    compileNow: () => {
      real ??= compile();
    },
  };
}
