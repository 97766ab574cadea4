import { GetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { factsOf } from '../../shared/query/derive';
import { eventOf, notificationOf, sharedBodyOf, storedBodyOf } from '../../shared/store/records';
import { ATTR, eventPk, notificationPk, operationPrefix, TABLE } from '../../shared/store/table';

type Item = Record<string, unknown>;

async function itemsUnder(db: DynamoDBDocumentClient, tableName: string, pk: string, prefix?: string): Promise<Item[]> {
  const out = await db.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: prefix === undefined ? 'pk = :pk' : 'pk = :pk AND begins_with(sk, :p)',
      ExpressionAttributeValues: { ':pk': pk, ...(prefix === undefined ? {} : { ':p': prefix }) },
    }),
  );
  return out.Items ?? [];
}

/**
 * A device's stored events, read straight from the table and decoded the way the query API
 * decodes them (the raw body uncompressed, the payload derived from it): what a test asserts on.
 */
export async function storedEvents(db: DynamoDBDocumentClient, tableName: string, scopeId: string, deviceId: string): Promise<Item[]> {
  const items = await itemsUnder(db, tableName, eventPk(scopeId, deviceId));
  return Promise.all(
    items.map(async (item) => {
      const device = item[ATTR.bodyDevice];
      const get = async (pk: string, sk: string) => (await db.send(new GetCommand({ TableName: tableName, Key: { pk, sk } }))).Item;
      const stored = typeof device === 'string' ? await sharedBodyOf(scopeId, device, String(item[TABLE.sortKey]), get) : storedBodyOf(item);
      return { type: 'event', ...eventOf(item, scopeId, deviceId, stored, factsOf) };
    }),
  );
}

/** A device's stored notifications (of one operation when named), decoded as the query API decodes them. */
export async function storedNotifications(
  db: DynamoDBDocumentClient,
  tableName: string,
  scopeId: string,
  deviceId: string,
  operationId?: string,
): Promise<Item[]> {
  const items = await itemsUnder(db, tableName, notificationPk(scopeId, deviceId), operationId === undefined ? undefined : operationPrefix(operationId));
  return items.map((item) => ({ type: 'notification', ...notificationOf(item, scopeId, deviceId) }));
}
