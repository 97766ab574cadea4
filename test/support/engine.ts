import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, Socket, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeServer, startEmbeddedEngine } from '../../local/gateway';

/**
 * The DynamoDB engine integration tests run against: the one at DYNAMODB_ENDPOINT when set (CI
 * also runs the suite against AWS's DynamoDB Local), else a fresh embedded dynalite.
 */
export async function startEngine(): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const external = process.env.DYNAMODB_ENDPOINT;
  if (external) return { endpoint: external, stop: async () => undefined };
  const dir = mkdtempSync(join(tmpdir(), 'dynalite-'));
  const server = await startEmbeddedEngine(join(dir, 'db'));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: async () => {
      await closeServer(server);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A TCP proxy on loopback in front of an engine: `cut()` drops every connection and refuses new
 * ones (the table becomes unreachable, whatever the engine), `restore()` listens again.
 */
export async function startProxy(target: string): Promise<{ endpoint: string; cut(): Promise<void>; restore(): Promise<void>; stop(): Promise<void> }> {
  const { hostname, port: targetPort } = new URL(target);
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const open = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        const upstream = new Socket();
        upstream.connect(Number(targetPort), hostname);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => {
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream).pipe(client);
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as AddressInfo).port;
        resolve();
      });
    });
  const cut = async () => {
    const closing = server;
    server = undefined;
    for (const s of sockets) s.destroy();
    if (closing) await new Promise<void>((r) => closing.close(() => r()));
  };
  await open();
  return { endpoint: `http://127.0.0.1:${port}`, cut, restore: open, stop: cut };
}
