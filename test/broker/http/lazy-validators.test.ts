import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DATA_PATH_ROUTES } from '../../../broker/app.js';
import { compiledValidatorCount, lazyValidators, routeAjvOptions } from '../../../broker/http/lazy-validators.js';
import { startBroker, type TestBroker } from '../support/broker.js';

/** An app with two routes whose body schemas no other test compiles (the cache is per process). */
async function appWithRoutes(tag: string) {
  const validators = lazyValidators();
  const app = Fastify({ ajv: routeAjvOptions, schemaController: { compilersFactory: { buildValidator: validators.buildValidator } } });
  const body = (field: string) => ({ type: 'object', properties: { [`${tag}${field}`]: { type: 'integer' } }, required: [`${tag}${field}`], additionalProperties: false });
  app.post('/hot', { schema: { body: body('hot') } }, async () => ({ ok: true }));
  app.post('/cold', { schema: { body: body('cold') } }, async () => ({ ok: true }));
  await app.ready();
  return { app, validators };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('validators compiled ahead of their first request (warm)', () => {
  it('compiles the named routes\' validators in the background, and only theirs', async () => {
    const { app, validators } = await appWithRoutes('warmed');
    const before = compiledValidatorCount();
    validators.warm(['POST /hot']);
    await vi.waitFor(() => expect(compiledValidatorCount()).toBe(before + 1));
    for (let i = 0; i < 3; i++) await turn();
    expect(compiledValidatorCount()).toBe(before + 1); // /cold waits for its first request
    // A warmed validator validates as before: a bad body is refused, a good one served.
    expect((await app.inject({ method: 'POST', url: '/hot', payload: { warmedhot: 'x' } })).statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: '/hot', payload: { warmedhot: 1 } })).statusCode).toBe(200);
    expect(compiledValidatorCount()).toBe(before + 1);
    expect((await app.inject({ method: 'POST', url: '/cold', payload: { warmedcold: 1 } })).statusCode).toBe(200);
    expect(compiledValidatorCount()).toBe(before + 2);
    await app.close();
  });

  it('stops when told to (a broker closing before it finished)', async () => {
    const { app, validators } = await appWithRoutes('stopped');
    const before = compiledValidatorCount();
    const stop = validators.warm(['POST /hot', 'POST /cold']);
    stop();
    for (let i = 0; i < 3; i++) await turn();
    expect(compiledValidatorCount()).toBe(before);
    await app.close();
  });

  it('a schema that does not compile is left to its first request, and the routes after it still warm', async () => {
    const validators = lazyValidators();
    const app = Fastify({ ajv: routeAjvOptions, schemaController: { compilersFactory: { buildValidator: validators.buildValidator } } });
    app.post('/broken', { schema: { body: { type: 'object', properties: { brokenfield: { type: 'no-such-type' } } } } }, async () => ({ ok: true }));
    app.post('/fine', { schema: { body: { type: 'object', properties: { brokenfine: { type: 'integer' } }, additionalProperties: false } } }, async () => ({ ok: true }));
    await app.ready();
    const before = compiledValidatorCount();
    validators.warm(['POST /broken', 'POST /fine']);
    await vi.waitFor(() => expect(compiledValidatorCount()).toBe(before + 1));
    expect((await app.inject({ method: 'POST', url: '/fine', payload: { brokenfine: 'x' } })).statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: '/broken', payload: { brokenfield: 1 } })).statusCode).toBe(500);
    await app.close();
  });

  it('a route name that matches nothing compiles nothing and fails nothing', async () => {
    const { app, validators } = await appWithRoutes('unknown');
    const before = compiledValidatorCount();
    validators.warm(['GET /hot', 'POST /nowhere', '']);
    for (let i = 0; i < 3; i++) await turn();
    expect(compiledValidatorCount()).toBe(before);
    await app.close();
  });
});

describe('the broker\'s data path routes', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startBroker();
  });
  afterAll(async () => {
    await broker.close();
  });

  it('every route warmed on listen is a route the broker serves', () => {
    // A renamed route would silently drop out of the warm-up and stall its first request again.
    expect(broker.broker.servedRoutes).toEqual(expect.arrayContaining([...DATA_PATH_ROUTES]));
  });
});
