import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { registrationPk, TABLE } from '../store/table';

/** The state of one (account, service) registration, as the query API shows it. */
export interface RegistrationStatus {
  account: string;
  /** A ThingSpace service name, or `_login` for the account's session login. */
  service: string;
  /** The URL it is (or should be) registered to. */
  endpoint?: string;
  state: 'registered' | 'error';
  lastCheckedOn: string;
  lastChangedOn?: string;
  /** The last error, never a secret (ThingSpace's errorCode and what was being done). */
  lastError?: string;
  /** Set when a run could not finish a change: the next run registers again. */
  needsRegistration?: boolean;
  /** `_login` only: failed logins in a row, and when the last one happened. */
  consecutiveFailures?: number;
  lastFailureOn?: string;
}

/** Status records in the table: partition `REG#{account}`, one item per service. */
export class RegistrationStatusStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(account: string, service: string): Promise<RegistrationStatus | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { [TABLE.partitionKey]: registrationPk(account), [TABLE.sortKey]: service } }),
    );
    if (!out.Item) return undefined;
    const { [TABLE.partitionKey]: _pk, [TABLE.sortKey]: _sk, type: _type, ...status } = out.Item;
    return status as RegistrationStatus;
  }

  async put(status: RegistrationStatus): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...status,
          [TABLE.partitionKey]: registrationPk(status.account),
          [TABLE.sortKey]: status.service,
          type: 'registration',
        },
      }),
    );
  }
}
