/**
 * A local Kinesis server (kinesalite) on 127.0.0.1, started and stopped by Pulse,
 * in memory or on disk (LevelDB) under a data directory.
 */

import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';

const require = createRequire(import.meta.url);

/** A running local server. */
export interface LocalServer {
  /** Base URL, e.g. `http://127.0.0.1:45123`. */
  endpoint: string;
  stop(): Promise<void>;
}

/** Options of {@link startKinesisServer}. */
export interface KinesisServerOptions {
  /** Port to listen on (default 0: any free port). */
  port?: number;
  /** Simulated delay of stream creation, deletion and resharding (default 0 ms). */
  latencyMs?: number;
  /** Open shards allowed per account (default 50). */
  shardLimit?: number;
  /** Keep streams on disk here (LevelDB), so a restart finds them; default: in memory. */
  path?: string;
}

/**
 * Starts kinesalite on 127.0.0.1.
 * @throws Error naming the port when it is already in use
 */
export async function startKinesisServer(options: KinesisServerOptions = {}): Promise<LocalServer> {
  const kinesalite = require('kinesalite') as (o: object) => Server;
  const ms = options.latencyMs ?? 0;
  const server = kinesalite({
    createStreamMs: ms,
    deleteStreamMs: ms,
    updateStreamMs: ms,
    shardLimit: options.shardLimit ?? 50,
    ...(options.path ? { path: options.path } : {}),
  });
  return listenLocal(server, options.port ?? 0);
}

/**
 * Listens on 127.0.0.1 and describes the running server.
 * @throws Error naming the port when it is already in use
 */
export async function listenLocal(server: Server, port: number): Promise<LocalServer> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'EADDRINUSE' ? new Error(`port ${port} is in use: stop what runs there or choose another port`) : e,
      ),
    );
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${bound}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
