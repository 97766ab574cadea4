import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { HttpTargetSink } from '../../shared/events/local';
import type { GatewayEvent } from '../../shared/events/contract';

// Issue 22, item 7: README "Events out" says how often a failing EVENTS_TARGET_URL is tried, in
// the terms of the log line (`attempts`): every POST counted, the first one included.
const README = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');

let target: Server;
let url: string;
const posts: number[] = [];

beforeAll(async () => {
  target = createServer((req, res) => {
    posts.push(Date.now());
    req.resume();
    req.on('end', () => res.writeHead(503).end());
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(target.address() as AddressInfo).port}/events`;
});
afterAll(() => new Promise<void>((r) => target.close(() => r())));

const event: GatewayEvent = {
  detailType: 'ThingSpace Diagnostics Observation',
  detail: {
    recordType: 'event',
    scopeId: '0212312345-00001',
    deviceId: 'dev-1',
    provider: 'thingspace',
    channel: 'diagnostics',
    resource: 'diagnostics',
    sentOn: '2026-11-21T10:00:00.000Z',
    receivedOn: '2026-11-21T10:00:01.000Z',
    recordId: 'r-1',
    messageId: 'm-1',
    replayed: false,
  },
};

it('README counts the attempts a failing target gets as the log does: the first POST and its retries, with their waits', async () => {
  const locally = README.slice(README.indexOf('**Locally:**'), README.indexOf('**Replay**'));
  expect(locally).not.toMatch(/retried \d+ times/);
  const said = /tried (\d+) times in all \(the first POST and (\d+) retries, after ([\d.]+), ([\d.]+) and ([\d.]+) s\)/.exec(locally.replace(/\s+/g, ' '));
  expect(said).not.toBeNull();
  const [, attempts, retries, ...waits] = said!.map((s) => Number(s));

  expect(await new HttpTargetSink(new URL(url)).publish([event])).toEqual([0]);
  expect(posts.length).toBe(attempts);
  expect(retries).toBe(posts.length - 1);
  posts.slice(1).forEach((at, i) => {
    const gap = (at - posts[i]!) / 1000;
    expect(gap).toBeGreaterThanOrEqual(waits[i]! - 0.05);
    expect(gap).toBeLessThan(waits[i]! + 0.5);
  });
});
