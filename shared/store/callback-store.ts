import { PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DeviceEvent, MappedCallback, OperationNotification } from '../model';
import { eventPk, notificationPk, operationPk, resourceKey, TABLE } from './table';

/** The outcome of storing one callback. */
export interface StoreResult {
  /** Records written by this call. */
  stored: number;
  /** Records that were already there (a redelivery, or the retry of an interrupted write). */
  duplicates: number;
}

/** The table could not be written; nothing may be acknowledged. */
export class StoreUnavailableError extends Error {
  constructor(options?: { cause?: unknown }) {
    super('Callback store unavailable', options);
    this.name = 'StoreUnavailableError';
  }
}

/** A record would exceed DynamoDB's 400 KB item limit: the caller's input, not an outage. */
export class RecordTooLargeError extends Error {
  constructor() {
    super('Callback too large to store');
    this.name = 'RecordTooLargeError';
  }
}

// DynamoDB's limit is 400 KB counting attribute names and values; JSON is a slight overestimate.
/** Largest record the store writes (bytes, JSON-measured). */
export const MAX_ITEM_BYTES = 390 * 1024;

export interface CallbackStoreOptions {
  tableName: string;
  /** Days until DynamoDB's TTL removes a record; 0 keeps records forever. */
  retentionDays: number;
}

/**
 * Writes callbacks exactly once without transactions: every record has a deterministic key
 * (derived from the message bytes) and is written with `attribute_not_exists`, so a redelivery
 * or a retried partial write only adds what is missing. Operation summaries move forward only
 * (a conditional update on the latest `sentOn`), so replays and reordering converge.
 */
export class CallbackStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly options: CallbackStoreOptions,
  ) {}

  /** Stores the records of one callback; throws StoreUnavailableError unless all are durable. */
  async save(mapped: MappedCallback, receivedOn: Date): Promise<StoreResult> {
    const expiresAt =
      this.options.retentionDays > 0
        ? Math.floor(receivedOn.getTime() / 1000) + this.options.retentionDays * 86_400
        : undefined;
    const items = [
      ...mapped.events.map((e) => eventItem(e, expiresAt)),
      ...mapped.notifications.map((n) => notificationItem(n, expiresAt)),
    ];
    for (const item of items) {
      if (Buffer.byteLength(JSON.stringify(item)) > MAX_ITEM_BYTES) throw new RecordTooLargeError();
    }

    // All writes at once: one round trip of latency. A summary may land before its record; if any
    // write fails the callback is refused (503) and the provider's retry completes the rest.
    const [results, summaries] = await Promise.all([
      Promise.allSettled(items.map((item) => this.putOnce(item))),
      Promise.allSettled(mapped.notifications.map((n) => this.advanceOperation(n, expiresAt))),
    ]);
    let stored = 0;
    let duplicates = 0;
    for (const r of results) {
      if (r.status === 'rejected') throw new StoreUnavailableError({ cause: r.reason });
      if (r.value) stored++;
      else duplicates++;
    }
    for (const r of summaries) {
      if (r.status === 'rejected') throw new StoreUnavailableError({ cause: r.reason });
    }
    return { stored, duplicates };
  }

  /** True when written, false when it was already there. */
  private async putOnce(item: Record<string, unknown>): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': TABLE.partitionKey },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /** Moves the operation's summary to this notification when it is the latest by sentOn. */
  private async advanceOperation(n: OperationNotification, expiresAt: number | undefined): Promise<void> {
    const latest = `${n.sentOn}#${n.id}`;
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { [TABLE.partitionKey]: operationPk(n.scopeId, n.deviceId), [TABLE.sortKey]: n.operationId },
          UpdateExpression:
            'SET #type = :type, scopeId = :scope, deviceId = :device, operationId = :op, #status = :status, progress = :progress, ' +
            '#resource = :resource, lastSentOn = :sentOn, lastNotificationId = :nid, provider = :provider, channel = :channel, ' +
            '#timeKey = :latest, #createdKey = if_not_exists(#createdKey, :created), createdOn = if_not_exists(createdOn, :createdOn), ' +
            '#resourceKey = :resourceKey' +
            (expiresAt !== undefined ? ', #ttl = :ttl' : ''),
          ConditionExpression: 'attribute_not_exists(#timeKey) OR #timeKey < :latest',
          ExpressionAttributeNames: {
            '#type': 'type',
            '#status': 'status',
            '#resource': 'resource',
            '#timeKey': TABLE.indexes.byTime,
            '#createdKey': TABLE.indexes.byCreated,
            '#resourceKey': TABLE.globalIndexes.byResourceTime.partitionKey,
            ...(expiresAt !== undefined ? { '#ttl': TABLE.ttlAttribute } : {}),
          },
          ExpressionAttributeValues: {
            ':type': 'operation',
            ':scope': n.scopeId,
            ':device': n.deviceId,
            ':op': n.operationId,
            ':status': n.status,
            ':progress': n.progress,
            ':resource': n.resource,
            ':sentOn': n.sentOn,
            ':nid': n.id,
            ':provider': n.provider,
            ':channel': n.channel,
            ':latest': latest,
            ':created': `${n.createdOn}#${n.operationId}`,
            ':createdOn': n.createdOn,
            ':resourceKey': resourceKey(operationPk(n.scopeId, n.deviceId), n.resource),
            ...(expiresAt !== undefined ? { ':ttl': expiresAt } : {}),
          },
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) return; // an equal or newer one is there
      throw error;
    }
  }
}

function isConditionFailure(error: unknown): boolean {
  return (error as { name?: string } | undefined)?.name === 'ConditionalCheckFailedException';
}

function eventItem(e: DeviceEvent, expiresAt: number | undefined): Record<string, unknown> {
  const pk = eventPk(e.scopeId, e.deviceId);
  return {
    [TABLE.partitionKey]: pk,
    [TABLE.sortKey]: e.id,
    [TABLE.globalIndexes.byResourceTime.partitionKey]: resourceKey(pk, e.resource),
    [TABLE.indexes.byTime]: `${e.sentOn}#${e.id}`,
    [TABLE.indexes.byCreated]: `${e.receivedOn}#${e.id}`,
    type: 'event',
    ...e,
    ...(expiresAt !== undefined ? { [TABLE.ttlAttribute]: expiresAt } : {}),
  };
}

function notificationItem(n: OperationNotification, expiresAt: number | undefined): Record<string, unknown> {
  const pk = notificationPk(n.scopeId, n.deviceId, n.operationId);
  return {
    [TABLE.partitionKey]: pk,
    [TABLE.sortKey]: n.id,
    [TABLE.globalIndexes.byResourceTime.partitionKey]: resourceKey(pk, n.resource),
    [TABLE.indexes.byTime]: `${n.sentOn}#${n.id}`,
    [TABLE.indexes.byCreated]: `${n.createdOn}#${n.id}`,
    type: 'notification',
    ...n,
    ...(expiresAt !== undefined ? { [TABLE.ttlAttribute]: expiresAt } : {}),
  };
}
