import { randomBytes, randomUUID } from 'node:crypto';
import { ResourceExistsException, ResourceNotFoundException } from '@aws-sdk/client-secrets-manager';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { MetadataBearer, MiddlewareStack } from '@smithy/types';

/**
 * Records every AWS SDK v3 command the real function code sends, for the IAM simulation
 * (test/iam). A test file swaps the clients module for this one's wrappers:
 *
 *   jest.mock('../../shared/aws/clients', () => require('../support/sdk-recorder').recordingClients());
 *
 * The wrappers build the real clients (shared/aws/clients.ts, unchanged) and add one middleware to
 * each. DynamoDB commands are recorded and then sent to the engine as usual; Secrets Manager and
 * EventBridge and S3 commands are recorded and answered here (an in-memory Secrets Manager, an event
 * bus and a bucket that accept everything), so no AWS endpoint is ever called. Production code is not changed.
 *
 * Each client is attributed to the function whose handler module built it (`functions/<id>/handler`
 * on the stack when the client was created: every function builds its clients when its module
 * loads). A client built anywhere else is attributed to UNATTRIBUTED, and its calls fail the test.
 *
 * Nothing secret is kept: SecretString values are dropped from the recorded inputs.
 */

export const UNATTRIBUTED = '(not a function)';

export type Service = 'dynamodb' | 'secretsmanager' | 'events' | 's3';

export interface RecordedCall {
  /** The function (folder under functions/) whose module built the client. */
  fn: string;
  service: Service;
  /** The API operation: PutItem, Query, GetSecretValue, PutEvents, ... */
  operation: string;
  /**
   * The command input as sent. For lib-dynamodb commands this is the document form (native values);
   * for low-level DynamoDB commands the AttributeValue form. SecretString is removed.
   */
  input: Record<string, unknown>;
  /** Secrets Manager: the name the call addressed (SecretId or Name), and the secret's ARN suffix when it existed then. */
  secret?: { name: string; suffix?: string };
  /** The error the call ended with (its name), if any. */
  error?: string;
}

/** Secrets Manager in memory: name -> value, each secret with the 6-character ARN suffix Secrets Manager gives it. */
export class FakeSecretsManager {
  private readonly secrets = new Map<string, { value: string; suffix: string }>();

  /** Creates or replaces a secret (test setup: not recorded). */
  seed(name: string, value: string | object): void {
    const existing = this.secrets.get(name);
    this.secrets.set(name, { value: typeof value === 'string' ? value : JSON.stringify(value), suffix: existing?.suffix ?? newSuffix() });
  }

  /** The value of a secret (test assertions only). */
  value(name: string): string | undefined {
    return this.secrets.get(name)?.value;
  }

  suffixOf(name: string): string | undefined {
    return this.secrets.get(name)?.suffix;
  }

  handle(operation: string, input: Record<string, unknown>): MetadataBearer & Record<string, unknown> {
    const $metadata = { httpStatusCode: 200 };
    const name = secretNameOf(input);
    const found = this.secrets.get(name);
    const notFound = () => new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: { httpStatusCode: 400 } });
    switch (operation) {
      case 'GetSecretValue':
        if (!found) throw notFound();
        return { $metadata, Name: name, SecretString: found.value, VersionId: randomUUID() };
      case 'PutSecretValue':
        if (!found) throw notFound();
        found.value = String(input.SecretString);
        return { $metadata, Name: name, VersionId: randomUUID() };
      case 'CreateSecret':
        if (found) throw new ResourceExistsException({ message: 'The secret already exists.', $metadata: { httpStatusCode: 400 } });
        this.secrets.set(name, { value: String(input.SecretString), suffix: newSuffix() });
        return { $metadata, Name: name, VersionId: randomUUID() };
      default:
        throw new Error(`The test's Secrets Manager does not implement ${operation}`);
    }
  }
}

/** Records everything; the fake services answer. */
export class SdkRecorder {
  readonly calls: RecordedCall[] = [];
  readonly secretsManager = new FakeSecretsManager();
  /** PutEvents entries accepted, in order. */
  readonly publishedEntries: Record<string, unknown>[] = [];
  /** PutObject calls accepted: bucket and key. */
  readonly putObjects: { bucket: string; key: string }[] = [];

  reset(): void {
    this.calls.length = 0;
    this.publishedEntries.length = 0;
    this.putObjects.length = 0;
  }

  /** Adds the recording middleware to a client built by `fn`. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any client's stack: the middleware reads inputs generically
  attach(client: { middlewareStack: MiddlewareStack<any, any> }, service: Service, fn: string): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const operation = String((context as { commandName?: string }).commandName ?? 'Unknown').replace(/Command$/, '');
        const input = { ...(args.input as Record<string, unknown>) };
        delete input.SecretString;
        delete input.SecretBinary;
        // An object's bytes are archived callbacks: not needed to authorize the call.
        delete input.Body;
        const call: RecordedCall = { fn, service, operation, input };
        if (service === 'secretsmanager') {
          const name = secretNameOf(args.input as Record<string, unknown>);
          const suffix = this.secretsManager.suffixOf(name);
          call.secret = { name, ...(suffix ? { suffix } : {}) };
        }
        this.calls.push(call);
        try {
          if (service === 'secretsmanager') return { output: this.secretsManager.handle(operation, args.input as Record<string, unknown>), response: {} };
          if (service === 'events') return { output: this.putEvents(operation, args.input as Record<string, unknown>), response: {} };
          if (service === 's3') return { output: this.putObject(operation, args.input as Record<string, unknown>), response: {} };
          return await next(args);
        } catch (error) {
          call.error = (error as Error).name ?? 'Error';
          throw error;
        }
      },
      // `initialize`: before lib-dynamodb marshals (document form) and before retries (one record per send).
      { step: 'initialize', name: 'iamSimulationRecorder', priority: 'high', override: true },
    );
  }

  private putEvents(operation: string, input: Record<string, unknown>): MetadataBearer & Record<string, unknown> {
    if (operation !== 'PutEvents') throw new Error(`The test's EventBridge does not implement ${operation}`);
    const entries = (input.Entries as Record<string, unknown>[]) ?? [];
    this.publishedEntries.push(...entries);
    return { $metadata: { httpStatusCode: 200 }, FailedEntryCount: 0, Entries: entries.map(() => ({ EventId: randomUUID() })) };
  }

  private putObject(operation: string, input: Record<string, unknown>): MetadataBearer & Record<string, unknown> {
    if (operation !== 'PutObject') throw new Error(`The test's S3 does not implement ${operation}`);
    this.putObjects.push({ bucket: String(input.Bucket), key: String(input.Key) });
    return { $metadata: { httpStatusCode: 200 }, ETag: `"${randomUUID()}"` };
  }
}

/** The one recorder of a test file (the module registry is per file). */
export const recorder = new SdkRecorder();

/** The function whose handler module is on the stack now (the one building a client), or UNATTRIBUTED. */
export function functionOnStack(): string {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 200;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  return /[\\/]functions[\\/]([^\\/]+)[\\/]handler\.[cm]?[jt]s\b/.exec(stack)?.[1] ?? UNATTRIBUTED;
}

/** The replacement of shared/aws/clients for jest.mock: the real factories, each client with the recorder attached. */
export function recordingClients() {
  const actual = jest.requireActual<typeof import('../../shared/aws/clients')>('../../shared/aws/clients');
  return {
    ...actual,
    createDynamoClient: (env?: NodeJS.ProcessEnv): DynamoDBDocumentClient => {
      const client = actual.createDynamoClient(env);
      recorder.attach(client, 'dynamodb', functionOnStack());
      return client;
    },
    createSecretsManagerClient: (env?: NodeJS.ProcessEnv) => {
      const client = actual.createSecretsManagerClient(env);
      recorder.attach(client, 'secretsmanager', functionOnStack());
      return client;
    },
    createEventBridgeClient: (env?: NodeJS.ProcessEnv) => {
      const client = actual.createEventBridgeClient(env);
      recorder.attach(client, 'events', functionOnStack());
      return client;
    },
    createS3Client: (env?: NodeJS.ProcessEnv) => {
      const client = actual.createS3Client(env);
      recorder.attach(client, 's3', functionOnStack());
      return client;
    },
  };
}

function secretNameOf(input: Record<string, unknown>): string {
  const name = input.SecretId ?? input.Name;
  return typeof name === 'string' ? name : '';
}

const SUFFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
function newSuffix(): string {
  return [...randomBytes(6)].map((b) => SUFFIX_ALPHABET[b % SUFFIX_ALPHABET.length]).join('');
}
