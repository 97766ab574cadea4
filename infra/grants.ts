import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { ARCHIVE_PREFIX } from '../shared/archive/objects';
import { CHANNELS } from '../shared/channels';

import { thingspaceApiSecretName } from '../shared/secret-names';
import { channelOfService, type FunctionDefinition } from '../shared/routes';
import {
  API_KEY_PK,
  BODY_PK_PREFIXES,
  CALLBACK_PK_PREFIXES,
  DELETABLE_PK_PREFIXES,
  DEVICE_PK_PREFIX,
  KEPT_BODY_PK_PREFIX,
  RECEIPT_PK_PREFIX,
  REGISTRATION_PK_PREFIX,
  WEBHOOK_PK_PREFIXES,
} from '../shared/store/table';
import type { GatewayFunctionSettings } from './settings';

/**
 * A function's own channel secrets (GetSecretValue), each wildcard acknowledged on the role: one
 * function serves every account or application of its channel.
 */
export function grantChannelSecrets(
  scope: Construct,
  fn: lambda.IFunction,
  role: iam.IRole,
  definition: FunctionDefinition,
  settings: GatewayFunctionSettings,
): void {
  if (definition.secrets.length === 0) return;
  // Only this function's own channel secrets: a leaked location function must not read diagnostics keys.
  // Each pattern twice: with the 6-character suffix of an existing secret, and by its bare name, which
  // is what Secrets Manager authorizes for a secret that does not exist (an unknown account): without
  // it that request is AccessDenied (a 503, and an account oracle) instead of ResourceNotFound (the 401
  // of a bad signature). The bare name reads nothing: no secret has an ARN without its suffix.
  const resources = definition.secrets.flatMap((pattern) => [
    secretArn(scope, settings.secretPrefix, pattern),
    secretNameArn(scope, settings.secretPrefix, pattern),
  ]);
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources }));
  for (const resource of resources.filter((arn) => flattenArn(scope, arn).includes('*'))) {
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${flattenArn(scope, resource)}]`,
      reason:
        'One function serves every account or application of its channel (the account or appId is in the URL path), so the ' +
        'secret name has a wildcard in that one segment only: the prefix, the channel and (for existing secrets) the 6-character ' +
        "suffix are fixed, so no other channel's secret matches; the bare-name form only lets a missing secret answer " +
        'ResourceNotFound (a secret ARN always has its suffix), and the action is GetSecretValue only.',
    });
  }
}

/**
 * A resource ARN as cdk-nag prints it in a finding id (`Fn::Join` flattened, `Ref`/`GetAtt` as
 * `<Name>`/`<Name.Attr>`): the id of an acknowledgement must be exactly that string.
 */
export function flattenArn(scope: Construct, arn: string): string {
  const visit = (node: unknown): string => {
    if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
    const value = node as Record<string, unknown>;
    if (Array.isArray(value['Fn::Join'])) {
      const [delimiter, items] = value['Fn::Join'] as [string, unknown[]];
      return items.map(visit).join(delimiter);
    }
    if (Array.isArray(value['Fn::GetAtt'])) {
      const [resource, attribute] = value['Fn::GetAtt'] as [unknown, unknown];
      return `<${visit(resource)}.${visit(attribute)}>`;
    }
    if (value.Ref !== undefined) return `<${visit(value.Ref)}>`;
    return JSON.stringify(node);
  };
  return visit(Stack.of(scope).resolve(arn));
}

/**
 * The re-registration job's secret grants, from the configured accounts only (no account wildcard):
 * none at all when no account is configured or for any other function.
 */
export function registrationSecretStatements(scope: Construct, definition: FunctionDefinition, settings: GatewayFunctionSettings): iam.PolicyStatement[] {
  if (definition.table !== 'write-registrations' || settings.registrations.length === 0) return [];
  const accounts = [...new Set(settings.registrations.map((r) => r.account))];
  const channelSecrets = [
    ...new Set(settings.registrations.flatMap((r) => r.services.map((service) => CHANNELS[channelOfService(service)].secretName(r.account)))),
  ];
  // Bounded statements: the CDK moves whole statements into overflow managed policies (6,144 characters
  // each) once the role's inline policy is full, so no single statement may outgrow one of them.
  const arns = (names: string[]) =>
    chunks(
      names.map((name) => secretArn(scope, settings.secretPrefix, name)),
      SECRETS_PER_STATEMENT,
    );
  return [
    // The account's API credentials, to log in: read only, the job never changes them.
    ...arns(accounts.map(thingspaceApiSecretName)).map((resources) => new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources })),
    // The channels of the configured services only: it rotates their credentials and creates a missing secret.
    // A secret that does not exist yet is authorized against its bare name (no random suffix), so
    // the bare-name ARN is granted too: otherwise the first run would meet AccessDenied, not NotFound.
    ...chunks(
      channelSecrets.flatMap((name) => [secretArn(scope, settings.secretPrefix, name), secretNameArn(scope, settings.secretPrefix, name)]),
      SECRETS_PER_STATEMENT,
    ).map(
      (resources) =>
        new iam.PolicyStatement({
          actions: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:CreateSecret'],
          resources,
        }),
    ),
  ];
}

/** About 40 × 130 characters of resolved ARN: most of one managed policy (6,144), so few policies are needed. */
const SECRETS_PER_STATEMENT = 40;

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * The table statements of one access kind. `ForAllValues` holds on an empty key set (a Scan names no
 * partition), so the LeadingKeys-conditioned statements must never list Scan or a batch/PartiQL action.
 */
export function tableStatements(definition: FunctionDefinition, table: dynamodb.ITable): iam.PolicyStatement[] {
  switch (definition.table) {
    case 'write-callbacks':
      return webhookTableStatements(table);
    case 'read-callbacks':
      return queryTableStatements(table);
    case 'read-apikeys':
      return authorizerTableStatements(table);
    case 'publish-events':
    case 'archive-events':
      // The archiver reads what the publisher reads: the stream, and a further device's shared body.
      return publisherTableStatements(definition, table);
    case 'write-registrations':
      return jobTableStatements(table);
    case 'none':
      return [];
  }
}

/** A webhook's table access. */
function webhookTableStatements(table: dynamodb.ITable): iam.PolicyStatement[] {
  return [
    // Exactly what a webhook does: conditional puts of its callback records, shared bodies, receipts and
    // rejection records, and reading a receipt back, in those partitions only (never an API key or the job's
    // status), and never asking for old values back.
    new iam.PolicyStatement({
      actions: ['dynamodb:PutItem'],
      resources: [table.tableArn],
      conditions: {
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': WEBHOOK_PK_PREFIXES.map((prefix) => `${prefix}*`) },
        StringEqualsIfExists: { 'dynamodb:ReturnValues': 'NONE' },
      },
    }),
    // Its one read: a receipt (a redelivery's first receive time), never a stored callback.
    new iam.PolicyStatement({
      actions: ['dynamodb:GetItem'],
      resources: [table.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${RECEIPT_PK_PREFIX}*`] } },
    }),
    // Its one update: a device item (first sight, then its last-seen time at most hourly), in the
    // device partitions only: it can never change a stored callback, a key or a status record.
    new iam.PolicyStatement({
      actions: ['dynamodb:UpdateItem'],
      resources: [table.tableArn],
      conditions: {
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${DEVICE_PK_PREFIX}*`] },
        StringEqualsIfExists: { 'dynamodb:ReturnValues': 'NONE' },
      },
    }),
  ];
}

/** The query API's table access. */
function queryTableStatements(table: dynamodb.ITable): iam.PolicyStatement[] {
  return [
    // Callback (and registration status) partitions only: the query API can never read or delete the API keys.
    // The table has no index, so the table itself is the only resource.
    new iam.PolicyStatement({
      actions: ['dynamodb:Query', 'dynamodb:GetItem'],
      resources: [table.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': CALLBACK_PK_PREFIXES.map((prefix) => `${prefix}*`) } },
    }),
    // DELETE of one event or notification. Never in the job's status partitions: it reads them, and
    // deleting `_login` would reset the login lockout.
    new iam.PolicyStatement({
      actions: ['dynamodb:DeleteItem'],
      resources: [table.tableArn],
      conditions: {
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': DELETABLE_PK_PREFIXES.map((prefix) => `${prefix}*`) },
        StringEqualsIfExists: { 'dynamodb:ReturnValues': 'NONE' },
      },
    }),
    // Its one write: deleting the event that holds a body other devices share keeps that body first,
    // in a kept-body partition; never a callback record, an API key or a status record.
    new iam.PolicyStatement({
      actions: ['dynamodb:PutItem'],
      resources: [table.tableArn],
      conditions: {
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${KEPT_BODY_PK_PREFIX}*`] },
        StringEqualsIfExists: { 'dynamodb:ReturnValues': 'NONE' },
      },
    }),
  ];
}

/** The authorizer's table access. */
function authorizerTableStatements(table: dynamodb.ITable): iam.PolicyStatement[] {
  return [
    // One GetItem by key hash in the API key partition: no Query (no listing keys), no callbacks.
    new iam.PolicyStatement({
      actions: ['dynamodb:GetItem'],
      resources: [table.tableArn],
      conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [API_KEY_PK] } },
    }),
  ];
}

/** A stream function's table access (the publisher's, the archiver's): the stream and shared bodies. */
function publisherTableStatements(definition: FunctionDefinition, table: dynamodb.ITable): iam.PolicyStatement[] {
  if (!table.tableStreamArn) throw new Error(`Function "${definition.id}" reads the table's stream: the table needs one`);
  return [
    // The event source mapping reads this table's one stream (the actions AWS documents for a Lambda
    // stream consumer), on its exact ARN: no other table's stream, no `*`.
    new iam.PolicyStatement({
      actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
      resources: [table.tableStreamArn],
    }),
    // ListStreams has no resource type: IAM only ever matches it against `*` (a stream ARN here never
    // matches). It lists stream ARNs and reads nothing.
    new iam.PolicyStatement({ actions: ['dynamodb:ListStreams'], resources: ['*'] }),
    // The body a further device's event shares, from the first device's event or a kept body: GetItem
    // in those partitions only (never a notification, a receipt, an API key or a status record).
    new iam.PolicyStatement({
      actions: ['dynamodb:GetItem'],
      resources: [table.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': BODY_PK_PREFIXES.map((prefix) => `${prefix}*`) } },
    }),
  ];
}

/** The re-registration job's table access. */
function jobTableStatements(table: dynamodb.ITable): iam.PolicyStatement[] {
  return [
    // Exactly what RegistrationStatusStore does (get and put one status record), in `REG#` partitions only:
    // the job can neither read nor overwrite a callback or an API key.
    new iam.PolicyStatement({
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem'],
      resources: [table.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${REGISTRATION_PK_PREFIX}*`] } },
    }),
  ];
}

/** The ARN of a secret by its bare name, as Secrets Manager authorizes a request for a secret that does not exist yet. */
export function secretNameArn(scope: Construct, prefix: string, name: string): string {
  return Stack.of(scope).formatArn({
    service: 'secretsmanager',
    resource: 'secret',
    resourceName: `${prefix}${name}`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/**
 * ARN pattern of the secrets named `${prefix}${pattern}`; `-??????` matches the 6-character suffix
 * Secrets Manager appends to every secret ARN, so a name cannot be widened by a longer neighbour.
 */
export function secretArn(scope: Construct, prefix: string, pattern: string): string {
  return Stack.of(scope).formatArn({
    service: 'secretsmanager',
    resource: 'secret',
    resourceName: `${prefix}${pattern}-??????`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/**
 * The archiver's one S3 right: PutObject under `callbacks/` of the archive bucket. No read, no
 * delete, no other prefix: a leaked archiver can add objects, never read or remove the archive.
 */
export function archiveStatements(scope: Construct, role: iam.IRole, bucket: s3.IBucket): iam.PolicyStatement[] {
  const objects = bucket.arnForObjects(`${ARCHIVE_PREFIX}*`);
  Validations.of(role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${flattenArn(scope, objects)}]`,
    reason:
      'Object keys name the scope, the day and the batch (callbacks/scope=…/day=…/<id>-<digest>.jsonl.gz), unknown until a batch ' +
      'arrives: the grant is PutObject only, under the callbacks/ prefix of this one bucket.',
  });
  return [new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [objects] })];
}
