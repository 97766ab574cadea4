import { randomInt } from 'node:crypto';
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { rejectionPk, TABLE } from './store/table';

/** What is kept of a rejected webhook: never a header value, a body byte, a secret or a signature. */
export interface Rejection {
  /** The account or AppID of the route, or `_unknown` when it is malformed or not known to have a secret. */
  scopeId: string;
  provider: string;
  channel: string;
  statusCode: number;
  errorCode: string;
  /** Our own error message (written never to quote input). */
  reason: string;
  sourceIp: string;
  /** Header names only, lower case, sorted. */
  headerNames: string[];
  bodyBytes: number;
  receivedOn: string;
}

export interface RejectionLogOptions {
  tableName: string;
  /** Records kept per scope at most: a flood overwrites, it cannot grow the log. */
  capPerScope: number;
  /** How long a record lives (DynamoDB TTL). */
  ttlHours: number;
}

/**
 * The short-lived rejected-request log operators read at `GET /v1/{scopeId}/rejections`, e.g. to
 * see which signature header ThingSpace really sends. Each scope's records live in `capPerScope`
 * slots of one partition, a record taking a random slot (overwriting whatever was there), so the
 * log is bounded per scope however many requests are refused, and TTL clears it after `ttlHours`.
 */
export class RejectionLog {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly options: RejectionLogOptions,
  ) {}

  async record(rejection: Rejection): Promise<void> {
    const slot = String(randomInt(this.options.capPerScope)).padStart(6, '0');
    const expiresAt = Math.floor(Date.parse(rejection.receivedOn) / 1000) + this.options.ttlHours * 3600;
    await this.client.send(
      new PutCommand({
        TableName: this.options.tableName,
        Item: {
          ...rejection,
          [TABLE.partitionKey]: rejectionPk(rejection.scopeId),
          [TABLE.sortKey]: slot,
          type: 'rejection',
          [TABLE.ttlAttribute]: expiresAt,
        },
      }),
    );
  }
}
