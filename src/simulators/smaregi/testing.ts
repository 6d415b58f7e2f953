import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../../lib/logger';
import { createSmaregiSimulator, type SmaregiSimulator, type SmaregiSimulatorOptions } from './app';

/** Helpers for tests that need a Smaregi simulator on a free port. */
export interface RunningSmaregiSimulator {
  sim: SmaregiSimulator;
  server: Server;
  /** Serves both the ID server and the API. */
  baseUrl: string;
  close(): Promise<void>;
}

export const TEST_CLIENT_ID = 'test-client-id';
export const TEST_CLIENT_SECRET = 'test-client-secret';

export async function startSmaregiSimulator(
  opts: Partial<SmaregiSimulatorOptions> = {},
): Promise<RunningSmaregiSimulator> {
  const sim = createSmaregiSimulator({
    clientId: TEST_CLIENT_ID,
    clientSecret: TEST_CLIENT_SECRET,
    logger: createLogger('smaregi-sim', 'silent'),
    ...opts,
  });
  const server = await sim.listen(0, '127.0.0.1');
  const { port } = server.address() as AddressInfo;
  return {
    sim,
    server,
    baseUrl: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
