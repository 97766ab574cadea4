import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An EVENTS_TARGET_URL on loopback that accepts every POST and keeps the parsed envelopes. */
export interface EventTarget<E> {
  /** `http://127.0.0.1:{port}{path}`. */
  url: string;
  /** The envelopes received, in order. */
  received: E[];
  close(): Promise<void>;
}

export async function startEventTarget<E = unknown>(path = '/events'): Promise<EventTarget<E>> {
  const received: E[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push(JSON.parse(Buffer.concat(chunks).toString()) as E);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`,
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
