import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../../src/lib/logger';
import { createMakeshopSimulator, type MakeshopSimulator } from '../../src/simulators/makeshop/app';
import { startSmaregiSimulator, TEST_CLIENT_ID, TEST_CLIENT_SECRET, type RunningSmaregiSimulator } from '../../src/simulators/smaregi/testing';
import { SmaregiClient } from '../../src/platforms/smaregi/client';
import { LegacyMakeshopClient } from '../../src/platforms/makeshop/legacy-client';

/** Both platform simulators on free ports, with real clients pointed at them. */
export interface TestPlatforms {
  smaregi: RunningSmaregiSimulator;
  makeshop: { sim: MakeshopSimulator; server: Server; baseUrl: string };
  smaregiClient: SmaregiClient;
  makeshopClient: LegacyMakeshopClient;
  close(): Promise<void>;
}

export async function startTestPlatforms(opts: { makeshopIntervalMs?: number; webhook?: { url: string; header: { name: string; value: string } } } = {}): Promise<TestPlatforms> {
  const interval = opts.makeshopIntervalMs ?? 50;
  const smaregi = await startSmaregiSimulator({ webhook: opts.webhook });
  const sim = createMakeshopSimulator({ minIntervalMs: interval, logger: createLogger('makeshop-sim', 'silent') });
  const server = await sim.listen(0, '127.0.0.1');
  const makeshopUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const logger = createLogger('platform-client', 'silent');
  return {
    smaregi,
    makeshop: { sim, server, baseUrl: makeshopUrl },
    smaregiClient: new SmaregiClient({
      idBaseUrl: smaregi.baseUrl,
      apiBaseUrl: smaregi.baseUrl,
      clientId: TEST_CLIENT_ID,
      clientSecret: TEST_CLIENT_SECRET,
      logger,
    }),
    makeshopClient: new LegacyMakeshopClient({ baseUrl: makeshopUrl, minIntervalMs: interval, logger }),
    async close() {
      await smaregi.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export async function postJson(url: string, body: unknown, method = 'POST'): Promise<unknown> {
  const res = await fetch(url, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url} → ${res.status}: ${text}`);
  return text ? JSON.parse(text) : undefined;
}

export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url} → ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

/** Polls until check() passes or the time is up; the last failure is rethrown with its message. */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 20_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
}

/** A simulator control call (`/__sim/...`): JSON in and out; a non-2xx answer throws with its body. */
export async function simControl<T = unknown>(baseUrl: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await response.json()) as T;
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status} ${JSON.stringify(json)}`);
  return json;
}
