import type { Channel } from '../channels';
import { logger } from '../log';
import type { Provider } from '../model';
import { factsOf } from '../query/derive';
import { publishedRecordsOf, sortKeyOf, type BodyReader, type PublishedRecord } from '../store/published';
import type { StoredItem } from '../store/records';
import { eventDetailType, NOTIFICATION_DETAIL_TYPE, type EventDetail, type EventSink, type GatewayEvent } from './contract';

type Item = StoredItem;

export interface BuildOptions {
  /** Marks the events as published again by `npm run replay`. */
  replayed?: boolean;
}

/**
 * THE one function that turns stored items into events: the stream publisher, the local publisher
 * and the replay all go through it. Each item is rebuilt into the logical record the query API
 * shows (shared/store/records.ts, the payload derived from the stored body by the channel's own
 * parser), and that record into the event's detail. Results are in the items' order: an event, or
 * `undefined` for an item that is not published (receipts, kept bodies, keys...), or a rejection
 * when the item cannot become its event (a shared body not stored, an unknown channel). An event
 * whose stored body cannot be decoded is no rejection (no retry could ever decode it): it is
 * published without payload, with `bodyError: 'undecodable'`.
 */
export async function eventsOfItems(
  items: readonly Item[],
  readBody: BodyReader,
  options: BuildOptions = {},
): Promise<PromiseSettledResult<GatewayEvent | undefined>[]> {
  const records = await publishedRecordsOf(items, readBody, factsOf);
  const replayed = options.replayed === true;
  return records.map((result): PromiseSettledResult<GatewayEvent | undefined> => {
    if (result.status === 'rejected' || result.value === undefined) return result as PromiseSettledResult<undefined>;
    try {
      return { status: 'fulfilled', value: eventOfRecord(result.value, replayed) };
    } catch (reason) {
      return { status: 'rejected', reason };
    }
  });
}

function eventOfRecord(published: PublishedRecord, replayed: boolean): GatewayEvent {
  const { channel } = published;
  if (published.kind === 'notification') {
    const n = published.record;
    return {
      detailType: NOTIFICATION_DETAIL_TYPE,
      detail: detailOf(
        n,
        channel,
        'notification',
        {
          receivedOn: n.createdOn,
          operationId: n.operationId,
          status: n.status,
          progress: n.progress,
          message: n.message,
        },
        replayed,
      ),
    };
  }
  const e = published.record;
  return {
    detailType: eventDetailType(channel, e.resource),
    detail: detailOf(
      e,
      channel,
      'event',
      {
        receivedOn: e.receivedOn,
        deviceKind: e.deviceKind,
        action: e.action,
        operationId: e.operationId,
        payload: e.payload,
        // A stored body that cannot be decoded: published without payload, marked (eventOf logged it).
        bodyError: e.bodyError,
      },
      replayed,
    ),
  };
}

/** The detail of a logical record: the fields every event has, then its kind's own (absent ones left out). */
function detailOf(
  record: PublishedRecord['record'],
  channel: Channel,
  recordType: EventDetail['recordType'],
  own: Record<string, unknown>,
  replayed: boolean,
): EventDetail {
  const detail: Record<string, unknown> = {
    recordType,
    scopeId: record.scopeId,
    deviceId: record.deviceId,
    provider: record.provider as Provider,
    channel,
    resource: record.resource,
    sentOn: record.sentOn,
    recordId: record.id,
    messageId: record.messageId,
  };
  for (const [name, value] of Object.entries(own)) if (value !== undefined) detail[name] = value;
  detail.replayed = replayed;
  return detail as unknown as EventDetail;
}

/** What became of one stored item: published, not a published kind of record, or not published (logged). */
export type Outcome = 'published' | 'skipped' | 'failed';

/**
 * Turns stored items into events (eventsOfItems) and publishes them through `sink`: the whole
 * path from a durable record to a published event, the same for the stream, the local hook and
 * the replay. Never rejects; a failure is logged (ids and causes, never a body) and reported in
 * the item's outcome.
 */
export async function publishItems(items: readonly Item[], readBody: BodyReader, sink: EventSink, options: BuildOptions = {}): Promise<Outcome[]> {
  const built = await eventsOfItems(items, readBody, options);
  const outcomes: Outcome[] = [];
  const toPublish: number[] = [];
  built.forEach((result, i) => {
    if (result.status === 'rejected') {
      outcomes.push('failed');
      const cause = result.reason as Error | undefined;
      logger.error('stored record not turned into an event', { sortKey: sortKeyOf(items[i]!), cause: `${cause?.name}: ${cause?.message}` });
    } else if (result.value) {
      outcomes.push('published');
      toPublish.push(i);
    } else outcomes.push('skipped');
  });
  if (toPublish.length === 0) return outcomes;
  const failed = await sink.publish(toPublish.map((i) => (built[i] as PromiseFulfilledResult<GatewayEvent>).value));
  for (const k of failed) outcomes[toPublish[k]!] = 'failed';
  return outcomes;
}
