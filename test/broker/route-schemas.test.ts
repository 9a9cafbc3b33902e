/**
 * Every route says what it accepts and what it answers (issue 23.3): walks the broker's route table
 * (as registered with fastify, not a hand list) and fails on a route whose body, query string or
 * path parameters accept a field they do not name, or that documents no answer. The OpenAPI
 * document at /docs/json is generated from the same schemas.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lazyValidatorFactory, routeAjvOptions } from '../../broker/http/lazy-validators.js';
import { call, startBroker, type TestBroker } from './support/broker.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startBroker();
});
afterAll(async () => broker.close());

type Schema = Record<string, unknown>;

/** Paths inside `schema` where an object names its properties yet lets others through. */
function openObjects(schema: unknown, path = ''): string[] {
  if (schema === null || typeof schema !== 'object') return [];
  const node = schema as Schema;
  const found: string[] = [];
  if (node.type === 'object' && node.properties !== undefined && node.additionalProperties !== false) found.push(path || '(root)');
  for (const [key, child] of Object.entries(node)) {
    if (Array.isArray(child)) child.forEach((item, i) => found.push(...openObjects(item, `${path}/${key}/${i}`)));
    else if (typeof child === 'object') found.push(...openObjects(child, `${path}/${key}`));
  }
  return found;
}

function bodySchemas(body: unknown): unknown[] {
  const content = (body as { content?: Record<string, { schema: unknown }> } | undefined)?.content;
  return content ? Object.values(content).map((entry) => entry.schema) : [body];
}

describe('route schemas', () => {
  it('covers a route table of the expected size', () => {
    expect(broker.broker.routes.length).toBeGreaterThanOrEqual(28);
  });

  it('every route is summarised and answers documented errors', () => {
    const problems: string[] = [];
    for (const { method, url, schema } of broker.broker.routes) {
      const response = (schema.response ?? {}) as Record<string, unknown>;
      if (typeof schema.summary !== 'string') problems.push(`${method} ${url}: no summary`);
      // A WebSocket route's success is 101 Switching Protocols (the queue session).
      if (!Object.keys(response).some((code) => /^(2|101$)/.test(code))) problems.push(`${method} ${url}: no 2xx (or 101) answer`);
      if (!('4xx' in response) || !('5xx' in response)) problems.push(`${method} ${url}: no error answers`);
    }
    expect(problems).toEqual([]);
  });

  it('every body, query string and path parameter set refuses fields it does not name', () => {
    const problems: string[] = [];
    for (const { method, url, schema } of broker.broker.routes) {
      const where = `${method} ${url}`;
      const query = schema.querystring as Schema | undefined;
      if (query?.type !== 'object') problems.push(`${where}: query string is not an object schema`);
      problems.push(...openObjects(query).map((path) => `${where}: query ${path} is open`));
      const names = [...url.matchAll(/:([A-Za-z]+)/g)].map((match) => match[1]);
      const params = schema.params as Schema | undefined;
      if (names.length > 0) {
        const declared = Object.keys((params?.properties as object | undefined) ?? {});
        if (declared.sort().join() !== [...names].sort().join()) problems.push(`${where}: params schema names ${declared} for ${names}`);
        problems.push(...openObjects(params).map((path) => `${where}: params ${path} is open`));
      }
      if (['POST', 'PUT', 'PATCH'].includes(method)) {
        if (schema.body === undefined) problems.push(`${where}: no body schema`);
        for (const body of bodySchemas(schema.body)) problems.push(...openObjects(body).map((path) => `${where}: body ${path} is open`));
      }
    }
    expect(problems).toEqual([]);
  });

  // Validators compile on a route's first request (broker/http/lazy-validators.ts): a schema Ajv
  // cannot compile would only fail when the route is called, so every one is compiled here.
  it('every request schema compiles with the broker\'s Ajv options', () => {
    const compile = lazyValidatorFactory({}, routeAjvOptions);
    const parts = ['body', 'querystring', 'params', 'headers'] as const;
    let compiled = 0;
    for (const { method, url, schema } of broker.broker.routes) {
      for (const httpPart of parts) {
        for (const part of httpPart === 'body' ? bodySchemas(schema.body) : [schema[httpPart]]) {
          if (part === undefined) continue;
          const validate = compile({ schema: part as Schema, method, url, httpPart });
          expect(() => validate(undefined), `${method} ${url} ${httpPart}`).not.toThrow();
          compiled++;
        }
      }
    }
    expect(compiled).toBeGreaterThanOrEqual(broker.broker.routes.length);
  });

  it('the OpenAPI document describes each route with its request and answers', async () => {
    const { body: openapi } = await call(`${broker.url}/docs/json`);
    const produce = openapi.paths['/v1/topics/{topic}/records'].post;
    expect(Object.keys(produce.requestBody.content)).toEqual(expect.arrayContaining(['application/json', 'application/x-msgpack', 'application/vnd.spool.batch']));
    expect(produce.requestBody.content['application/json'].schema.properties.records.items.properties).toHaveProperty('valueBase64');
    let operations = 0;
    for (const [path, methods] of Object.entries(openapi.paths as Record<string, Record<string, { responses?: object }>>)) {
      for (const [method, operation] of Object.entries(methods)) {
        operations++;
        expect(Object.keys(operation.responses ?? {}), `${method} ${path}`).toEqual(expect.arrayContaining(['4XX', '5XX']));
      }
    }
    expect(operations).toBeGreaterThanOrEqual(28);
  });
});
