import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { acceptCallback } from '../shared/accept';
import { DEFAULT_SIGNATURE_HEADERS, DEFAULT_TOKEN_HEADER } from '../shared/config';
import type { CallbackStore } from '../shared/store/callback-store';
import { eventPk, TABLE } from '../shared/store/table';
import { diagnosticsChannel } from '../shared/thingspace/diagnostics';
import { verifyHmacCallback } from '../shared/thingspace/verify';

/**
 * The two comparison servers of the end-to-end group (in a file of their own, so a CPU profile
 * tells their time apart from the harness's).
 */

/** Reads a request body whole (the bodies here are a few hundred bytes). */
async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function reply(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Listens on a free loopback port; resolves to the base URL. */
export function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

/**
 * The bare baseline: one HMAC check and one conditional PutItem of an event-shaped item (its key and
 * the index attributes every stored record of this table carries, so it is queryable), nothing else.
 */
export function bareBaseline(db: DynamoDBDocumentClient, tableName: string, key: string, scope: string): Server {
  return createServer((req, res) => {
    (async () => {
      const body = await bodyOf(req);
      const given = String(req.headers['x-signature'] ?? '');
      const digest = createHmac('sha256', key).update(body).digest();
      if (!/^[0-9a-f]{64}$/i.test(given) || !timingSafeEqual(digest, Buffer.from(given, 'hex'))) return reply(res, 401, '{}');
      const device = String((JSON.parse(body.toString('utf8')) as { device: { id: string } }).device.id);
      const id = digest.subarray(0, 12).toString('base64url');
      await db.send(
        new PutCommand({
          TableName: tableName,
          Item: bareItem(scope, device, id, body),
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': TABLE.partitionKey },
        }),
      );
      reply(res, 200, '{"status":"stored"}');
    })().catch(() => reply(res, 500, '{}'));
  });
}

/**
 * What a bare listener stores for one callback: one item, the device's partition, a message id and
 * the body as received. The floor every storage figure of the bench is compared with.
 */
export function bareItem(scope: string, device: string, id: string, body: Buffer): Record<string, unknown> {
  return { [TABLE.partitionKey]: eventPk(scope, device), [TABLE.sortKey]: id, body: body.toString('utf8') };
}

/**
 * The product's own pipeline without the Lambda shell: verifyHmacCallback + parse + map +
 * acceptCallback (toRecords + CallbackStore.save: an event and a notification, two PutItem) behind a bare
 * node:http server. Against the baseline it shows what the product's work per message costs;
 * against the gateway, what the shell costs (local adapter, middy, Powertools, secret cache).
 */
export function coreServer(store: CallbackStore, key: string, token: string, account: string): Server {
  const versions = [{ key, token }];
  const check = { signatureHeaders: [...DEFAULT_SIGNATURE_HEADERS], tokenHeader: DEFAULT_TOKEN_HEADER };
  return createServer((req, res) => {
    (async () => {
      const started = Date.now();
      const body = await bodyOf(req);
      verifyHmacCallback(req.headers as Record<string, string>, body, versions, check);
      const message = diagnosticsChannel.parse(body);
      const acceptance = await acceptCallback(
        store,
        { provider: 'thingspace', channel: 'diagnostics', scopeId: account, body, receivedOn: new Date() },
        diagnosticsChannel.map(message, account),
        started,
      );
      reply(res, 200, JSON.stringify(acceptance));
    })().catch(() => reply(res, 500, '{}'));
  });
}
