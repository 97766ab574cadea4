import { runSimulation } from '@cloud-copilot/iam-simulate';
import { TABLE } from '../../shared/store/table';
import type { RecordedCall } from '../support/sdk-recorder';
import { ACCOUNT, busArn, secretArn, tableArn, type DeployedFunction, type IamRequest, type IdentityPolicy } from './deployed';

/**
 * Recorded SDK calls as the IAM requests AWS authorizes for them, and their evaluation against a
 * role's policies with @cloud-copilot/iam-simulate.
 */

type Input = Record<string, unknown>;

/** A key attribute's string value, from a document (`'EV#…'`) or an AttributeValue (`{ S: 'EV#…' }`). */
function keyValue(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (value && typeof value === 'object') {
    const v = value as { S?: string; N?: string };
    return v.S ?? v.N;
  }
  return undefined;
}

const resourceOfTable = (name: unknown, index?: unknown) => {
  const arn = String(name).startsWith('arn:') ? String(name) : tableArn(String(name));
  return typeof index === 'string' && index ? `${arn}/index/${index}` : arn;
};

/** The attribute names a projection expression reads (top-level names, `#aliases` resolved). */
function projectionNames(input: Input): string[] | undefined {
  const names = input.ExpressionAttributeNames as Record<string, string> | undefined;
  const projection = input.ProjectionExpression as string | undefined;
  const toGet = input.AttributesToGet as string[] | undefined;
  if (projection)
    return [
      ...new Set(
        projection
          .split(',')
          .map((p) => p.trim().split(/[.[]/)[0]!)
          .map((n) => (n.startsWith('#') ? (names?.[n] ?? n) : n)),
      ),
    ];
  return toGet;
}

/** The partition-key value a Query's key condition names (`#pk = :pk`, `pk = :v`, either side), or KeyConditions'. */
function queryPartitionKey(input: Input): string {
  const names = (input.ExpressionAttributeNames as Record<string, string> | undefined) ?? {};
  const values = (input.ExpressionAttributeValues as Record<string, unknown> | undefined) ?? {};
  const expression = input.KeyConditionExpression as string | undefined;
  if (expression) {
    const name = (token: string) => (token.startsWith('#') ? names[token] : token);
    for (const m of expression.matchAll(/([#:]?[\w]+)\s*=\s*([#:]?[\w]+)/g)) {
      const [left, right] = [m[1]!, m[2]!];
      if (name(left) === TABLE.partitionKey && right.startsWith(':')) return keyValue(values[right])!;
      if (name(right) === TABLE.partitionKey && left.startsWith(':')) return keyValue(values[left])!;
    }
  }
  const legacy = (input.KeyConditions as Record<string, { AttributeValueList?: unknown[] }> | undefined)?.[TABLE.partitionKey];
  const value = keyValue(legacy?.AttributeValueList?.[0]);
  if (value !== undefined) return value;
  throw new Error(`Query without an equality on ${TABLE.partitionKey}: ${expression ?? '(no key condition)'}`);
}

/** The condition keys DynamoDB sets on an item request (those the request can carry). */
function dynamoContext(
  input: Input,
  leadingKeys: string[] | undefined,
  attributes: string[] | undefined,
  enclosing?: string,
): Record<string, string | string[]> {
  const context: Record<string, string | string[]> = {};
  if (leadingKeys) context['dynamodb:LeadingKeys'] = leadingKeys;
  if (attributes && attributes.length > 0) context['dynamodb:Attributes'] = attributes;
  if (typeof input.ReturnValues === 'string') context['dynamodb:ReturnValues'] = input.ReturnValues;
  if (typeof input.Select === 'string') context['dynamodb:Select'] = input.Select;
  if (typeof input.ReturnConsumedCapacity === 'string') context['dynamodb:ReturnConsumedCapacity'] = input.ReturnConsumedCapacity;
  if (enclosing) context['dynamodb:EnclosingOperation'] = enclosing;
  return context;
}

function describeCall(call: RecordedCall): string {
  return `recorded ${call.service} ${call.operation}${call.error ? ` (answered ${call.error})` : ''}`;
}

/** The IAM requests one recorded call makes (a batch or a PutEvents to several buses makes several). */
export function requestsOf(call: RecordedCall): IamRequest[] {
  const input = call.input;
  const origin = describeCall(call);
  const pkOf = (key: unknown) => {
    const value = keyValue((key as Input | undefined)?.[TABLE.partitionKey]);
    if (value === undefined) throw new Error(`${call.operation} without a ${TABLE.partitionKey}`);
    return value;
  };
  switch (call.service) {
    case 'dynamodb': {
      const action = `dynamodb:${call.operation}`;
      switch (call.operation) {
        case 'GetItem':
        case 'DeleteItem':
        case 'UpdateItem':
          return [{ action, resource: resourceOfTable(input.TableName), context: dynamoContext(input, [pkOf(input.Key)], projectionNames(input)), origin }];
        case 'PutItem':
          return [
            { action, resource: resourceOfTable(input.TableName), context: dynamoContext(input, [pkOf(input.Item)], Object.keys(input.Item as Input)), origin },
          ];
        case 'Query':
          return [
            {
              action,
              resource: resourceOfTable(input.TableName, input.IndexName),
              context: dynamoContext(input, [queryPartitionKey(input)], projectionNames(input)),
              origin,
            },
          ];
        case 'Scan':
          // A Scan names no partition: dynamodb:LeadingKeys is absent (and ForAllValues holds on it).
          return [
            { action, resource: resourceOfTable(input.TableName, input.IndexName), context: dynamoContext(input, undefined, projectionNames(input)), origin },
          ];
        case 'BatchGetItem':
        case 'BatchWriteItem':
          return Object.entries(input.RequestItems as Record<string, unknown>).map(([table, requests]) => {
            const keys =
              call.operation === 'BatchGetItem'
                ? ((requests as { Keys: Input[] }).Keys ?? []).map(pkOf)
                : (requests as Array<{ PutRequest?: { Item: Input }; DeleteRequest?: { Key: Input } }>).map((r) =>
                    pkOf(r.PutRequest?.Item ?? r.DeleteRequest?.Key),
                  );
            return { action, resource: resourceOfTable(table), context: dynamoContext({}, [...new Set(keys)], undefined), origin };
          });
        case 'TransactWriteItems':
        case 'TransactGetItems':
          // Each item is authorized as its own action, with the enclosing operation.
          return (input.TransactItems as Input[]).map((item) => {
            const [kind, request] = Object.entries(item)[0] as [string, Input];
            const itemAction = { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem', Get: 'GetItem' }[kind];
            if (!itemAction) throw new Error(`${call.operation} item of kind ${kind} is not mapped`);
            const pk = pkOf(request.Item ?? request.Key);
            return {
              action: `dynamodb:${itemAction}`,
              resource: resourceOfTable(request.TableName),
              context: dynamoContext(request, [pk], undefined, call.operation),
              origin,
            };
          });
        default:
          if (input.TableName) return [{ action, resource: resourceOfTable(input.TableName), context: {}, origin }];
          throw new Error(`No IAM mapping for dynamodb ${call.operation}: extend test/iam/simulate.ts`);
      }
    }
    case 'secretsmanager': {
      const name = call.secret!.name;
      if (name.startsWith('arn:')) throw new Error(`${call.operation} by ARN (${name}) is not mapped: the functions name their secrets`);
      return [
        {
          action: `secretsmanager:${call.operation}`,
          resource: secretArn(name, call.secret!.suffix),
          context: call.operation === 'CreateSecret' ? { 'secretsmanager:Name': name } : {},
          origin: `${origin}${call.secret!.suffix ? '' : ' (no such secret at the time)'}`,
        },
      ];
    }
    case 's3': {
      if (call.operation !== 'PutObject') throw new Error(`No IAM mapping for s3 ${call.operation}: extend test/iam/simulate.ts`);
      return [{ action: 's3:PutObject', resource: `arn:aws:s3:::${String(input.Bucket)}/${String(input.Key)}`, context: {}, origin }];
    }
    case 'events': {
      if (call.operation !== 'PutEvents') throw new Error(`No IAM mapping for events ${call.operation}: extend test/iam/simulate.ts`);
      const seen = new Map<string, IamRequest>();
      for (const entry of (input.Entries as Input[]) ?? []) {
        const bus = typeof entry.EventBusName === 'string' ? entry.EventBusName : 'default';
        const resource = bus.startsWith('arn:') ? bus : busArn(bus);
        const context = { 'events:source': String(entry.Source), 'events:detail-type': String(entry.DetailType) };
        seen.set(JSON.stringify([resource, context]), { action: 'events:PutEvents', resource, context, origin });
      }
      return [...seen.values()];
    }
  }
}

export type Decision = 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied' | `Error: ${string}`;

export interface Verdict {
  request: IamRequest;
  decision: Decision;
  /** Context keys the simulator dropped as not applicable to the action: a mapping mistake. */
  ignored: string[];
}

/** Asks the simulator whether the role, with `policies`, may make `request`. */
export async function evaluate(roleArn: string, policies: IdentityPolicy[], request: IamRequest): Promise<Verdict> {
  const result = await runSimulation(
    {
      request: { principal: roleArn, action: request.action, resource: { resource: request.resource, accountId: ACCOUNT }, contextVariables: request.context },
      identityPolicies: policies,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === 'error') return { request, decision: `Error: ${result.errors.message}`, ignored: [] };
  const ignored = result.resultType === 'single' ? (result.result.ignoredContextKeys ?? []) : result.results.flatMap((r) => r.ignoredContextKeys ?? []);
  return { request, decision: result.overallResult as Decision, ignored };
}

/** One line per request for a failure message: the function, the call and the decision (never a secret value: requests carry none). */
export function describe(fn: string, verdict: Verdict): string {
  const { request } = verdict;
  const context = Object.keys(request.context).length > 0 ? ` ${JSON.stringify(request.context)}` : '';
  const ignored = verdict.ignored.length > 0 ? ` (simulator ignored ${verdict.ignored.join(', ')})` : '';
  return `${fn}: ${request.action} on ${request.resource}${context} -> ${verdict.decision}${ignored}  [${request.origin}]`;
}

/** Distinct requests (action, resource and context), keeping the first origin. */
export function distinct(requests: IamRequest[]): IamRequest[] {
  const seen = new Map<string, IamRequest>();
  for (const r of requests) {
    const key = JSON.stringify([r.action, r.resource, Object.entries(r.context).sort()]);
    if (!seen.has(key)) seen.set(key, r);
  }
  return [...seen.values()];
}

/** The function's policies without statement `index` of policy `policy` (for the statement-necessity check). */
export function withoutStatement(fn: DeployedFunction, policy: number, index: number): IdentityPolicy[] {
  return fn.policies.flatMap((p, i) => {
    if (i !== policy) return [p];
    const statements = [p.policy.Statement].flat().filter((_: unknown, k: number) => k !== index);
    // A policy left without statements is no policy at all (IAM would not accept an empty one).
    return statements.length > 0 ? [{ ...p, policy: { ...p.policy, Statement: statements } }] : [];
  });
}

/** A short form of a request for the summary IAM_REPORT prints: partitions by prefix, secrets by name. */
export function summary(request: IamRequest): string {
  const resource = request.resource
    .replace(/^arn:aws:dynamodb:[^:]+:\d+:table\/[^/]+\/stream\/.*$/, "the table's stream")
    .replace(/^arn:aws:dynamodb:[^:]+:\d+:table\/[^/]+$/, 'the table')
    .replace(
      /^arn:aws:secretsmanager:[^:]+:\d+:secret:(.*?)(-[A-Za-z0-9]{6})?$/,
      (_m, name: string, suffix?: string) => `secret ${name}${suffix ? '' : ' (not held)'}`,
    )
    .replace(/^arn:aws:events:[^:]+:\d+:event-bus\/(.*)$/, 'bus $1')
    .replace(/^arn:aws:sqs:[^:]+:\d+:(.*)$/, 'queue $1')
    .replace(/^arn:aws:logs:[^:]+:\d+:log-group:([^:]+):.*$/, 'log group $1');
  const keys = request.context['dynamodb:LeadingKeys'];
  const partitions = keys ? ` pk ${[...new Set([keys].flat().map((k) => (k.includes('#') ? `${k.slice(0, k.indexOf('#') + 1)}…` : k)))].join(',')}` : '';
  const extra = Object.entries(request.context)
    .filter(([k]) => ['dynamodb:ReturnValues', 'dynamodb:Select', 'dynamodb:EnclosingOperation'].includes(k))
    .map(([k, v]) => ` ${k.split(':')[1]}=${String(v)}`)
    .join('');
  return `${request.action} on ${resource}${partitions}${extra}`;
}
