import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMakeshopSimulator, type MakeshopSimulator, type MakeshopSimulatorOptions } from './app';

export interface RunningMakeshopSimulator {
  sim: MakeshopSimulator;
  server: Server;
  /** http://127.0.0.1:<port>, for the client's baseUrl and the control API. */
  baseUrl: string;
  close(): Promise<void>;
}

/** Starts the simulator in-process on a free port (tests, benchmarks, the embedded stack). */
export async function startMakeshopSimulator(opts: MakeshopSimulatorOptions = {}, port = 0): Promise<RunningMakeshopSimulator> {
  const sim = createMakeshopSimulator(opts);
  const server = await sim.listen(port, '127.0.0.1');
  const { port: boundPort } = server.address() as AddressInfo;
  return {
    sim,
    server,
    baseUrl: `http://127.0.0.1:${boundPort}`,
    close: async () => {
      sim.state.apps.stop();
      await sim.state.notificationsSettled();
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
