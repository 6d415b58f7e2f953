import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type Router from '@koa/router';
import { createApp } from '../../src/api/app';
import { openApiPath, registerRoute } from '../../src/api/openapi';
import { onboardingRouters } from '../../src/api/routes/onboarding-feature';
import { startStack, type Stack } from '../support/stack';

type OpenApi = {
  openapi: string;
  paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: Record<string, unknown> }> }; security: unknown[] }>>;
};

let stack: Stack;
let doc: OpenApi;

before(async () => {
  stack = await startStack('openapi');
  const res = await stack.http<OpenApi>('GET', '/api/v1/openapi.json');
  assert.equal(res.status, 200);
  doc = res.body;
});
after(async () => {
  await stack?.close();
});

/** Every method and path a set of routers serves, in OpenAPI notation. */
function served(routers: Router[]): string[] {
  return routers.flatMap((router) =>
    router.stack.flatMap((layer) => layer.methods.filter((m) => m !== 'HEAD').map((m) => `${m.toLowerCase()} ${openApiPath(String(layer.path))}`)),
  );
}
const documented = () => Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method} ${path}`));

test('an OpenAPI 3.1 document, served without credentials, documents every accounts/onboarding/operator route', () => {
  assert.equal(doc.openapi, '3.1.0');
  const mine = served(onboardingRouters(stack.deps));
  assert.ok(mine.length >= 15, mine.join(', '));
  const missing = mine.filter((route) => !documented().includes(route));
  assert.deepEqual(missing, []);
});

test('request bodies come from the zod schemas: strict objects, the 12-character password rule, the three step-2 forms (apps, application, already enabled)', () => {
  const credentials = doc.paths['/api/v1/makeshop/credentials']?.put?.requestBody?.content['application/json']?.schema as {
    additionalProperties: boolean;
    properties: { password: { maxLength: number } };
    required: string[];
  };
  assert.equal(credentials.additionalProperties, false);
  assert.equal(credentials.properties.password.maxLength, 12);
  assert.deepEqual(credentials.required.sort(), ['accountId', 'orderAuthCode', 'password']);
  const application = doc.paths['/api/v1/onboarding/makeshop-application']?.post?.requestBody?.content['application/json']?.schema as { anyOf: unknown[] };
  assert.equal(application.anyOf.length, 3);
  assert.deepEqual(doc.paths['/api/v1/operator/tenants']?.get?.security, [{ operatorToken: [] }]);
  assert.deepEqual(doc.paths['/api/v1/accounts']?.post?.security, []);
});

test('other features add their routes through registerRoute', async () => {
  registerRoute({ method: 'get', path: '/api/v1/catalog/uploads/:uploadId', summary: 'An upload and its report' });
  const res = await stack.http<OpenApi>('GET', '/api/v1/openapi.json');
  const op = res.body.paths['/api/v1/catalog/uploads/{uploadId}']?.get as unknown as { parameters: { name: string; in: string }[] };
  assert.deepEqual(op.parameters.map((p) => [p.name, p.in]), [['uploadId', 'path']]);
});

test('every route of the whole app is in the OpenAPI document, except operations endpoints and the UI files', () => {
  const app = createApp(stack.deps);
  const routers = app.middleware.map((mw) => (mw as { router?: Router }).router).filter((r): r is Router => r !== undefined);
  const notApi = (route: string) => /^get \/(healthz|readyz|metrics|assets\/.*)?$/.test(route);
  const undocumented = [...new Set(served(routers))].filter((route) => !notApi(route) && !documented().includes(route));
  assert.deepEqual(undocumented, []);
  assert.ok(served(routers).length > served(onboardingRouters(stack.deps)).length);
});
