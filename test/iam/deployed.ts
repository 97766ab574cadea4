import { Template } from 'aws-cdk-lib/assertions';
import type { CfnRole } from 'aws-cdk-lib/aws-iam';
import type { GatewaySettings } from '../../infra/settings';
import { buildStack, logicalIdOf, type Json } from '../infra/support';

/**
 * The synthesised stack as it would be deployed into one fixed, fake account and region: every
 * CloudFormation intrinsic the IAM policies and the function settings use resolved to a concrete
 * value, so each function's role policy can be handed to an IAM policy simulator as AWS would see it.
 */

export const PARTITION = 'aws';
export const REGION = 'eu-west-1';
export const ACCOUNT = '111122223333';
/** The label DynamoDB would give the table's stream (any fixed value: only the table part matters). */
export const STREAM_LABEL = '2026-01-01T00:00:00.000';

export const tableArn = (name: string) => `arn:${PARTITION}:dynamodb:${REGION}:${ACCOUNT}:table/${name}`;
export const streamArn = (table: string) => `${tableArn(table)}/stream/${STREAM_LABEL}`;
export const busArn = (name: string) => `arn:${PARTITION}:events:${REGION}:${ACCOUNT}:event-bus/${name}`;
/** A secret's ARN: with its 6-character suffix when it exists, the bare name otherwise (how Secrets Manager authorizes a name it does not hold). */
export const secretArn = (name: string, suffix?: string) => `arn:${PARTITION}:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}${suffix ? `-${suffix}` : ''}`;
export const queueArn = (name: string) => `arn:${PARTITION}:sqs:${REGION}:${ACCOUNT}:${name}`;

export interface IdentityPolicy {
  name: string;
  policy: Json;
}

/** An IAM request a function's role makes: what the simulator is asked about. */
export interface IamRequest {
  action: string;
  resource: string;
  context: Record<string, string | string[]>;
  /** Where it comes from, for the failure message: the recorded call or the platform behaviour. */
  origin: string;
}

export interface DeployedFunction {
  id: string;
  roleArn: string;
  /** Every identity policy attached to the function's role, intrinsics resolved. */
  policies: IdentityPolicy[];
  /** Its environment variables, resolved. */
  environment: Record<string, string>;
  /**
   * Calls AWS makes with the function's role on its behalf, from the template: log writes to its log
   * group, sends to its async dead-letter queue, and for a stream consumer the event source
   * mapping's stream reads and on-failure sends.
   */
  platformRequests: IamRequest[];
}

export interface Deployed {
  template: Json;
  tableName: string;
  busName?: string;
  functions: Record<string, DeployedFunction>;
}

/**
 * Synthesises the stack (no bundling) with `settings` and resolves it. `tableName` is the physical
 * name given to the table (the test's local table, so that recorded TableNames are the deployed one).
 */
export function deploy(settings: Partial<GatewaySettings>, tableName: string): Deployed {
  const stack = buildStack(settings);
  const template = Template.fromStack(stack).toJSON();
  const resources: Record<string, Json> = template.Resources;
  const resolve = resolver(resources, tableName);

  const tableId = stack.getLogicalId(stack.table.node.defaultChild as never);
  const busId = stack.eventBus ? stack.getLogicalId(stack.eventBus.node.defaultChild as never) : undefined;

  const functions: Record<string, DeployedFunction> = {};
  for (const id of Object.keys(stack.functions)) {
    const fnLogicalId = logicalIdOf(stack, id);
    const fn = resources[fnLogicalId];
    const roleId = stack.getLogicalId(stack.functions[id]!.role.node.defaultChild as CfnRole);
    const roleArn = resolve(fn.Properties.Role);
    if (roleArn !== resolve({ 'Fn::GetAtt': [roleId, 'Arn'] })) throw new Error(`${id}: the function does not run with its own role`);
    const environment = Object.fromEntries(Object.entries<Json>(fn.Properties.Environment?.Variables ?? {}).map(([k, v]) => [k, String(resolve(v))]));
    functions[id] = {
      id,
      roleArn,
      policies: policiesOfRole(resources, roleId, resolve),
      environment,
      platformRequests: platformRequests(resources, fnLogicalId, resolve),
    };
  }
  return { template, tableName: resolve({ Ref: tableId }), ...(busId ? { busName: resolve({ Ref: busId }) } : {}), functions };
}

/** Every identity policy of a role: inline, AWS::IAM::Policy and customer managed policies of the template. */
function policiesOfRole(resources: Record<string, Json>, roleId: string, resolve: (v: Json) => Json): IdentityPolicy[] {
  const role = resources[roleId];
  const refersToRole = (roles: Json[] | undefined) => (roles ?? []).some((r) => r?.Ref === roleId);
  const policies: IdentityPolicy[] = [];
  for (const inline of role.Properties.Policies ?? []) policies.push({ name: `${roleId}/${inline.PolicyName}`, policy: resolve(inline.PolicyDocument) });
  const managedIds = new Set<string>();
  for (const arn of role.Properties.ManagedPolicyArns ?? []) {
    if (arn?.Ref && resources[arn.Ref]?.Type === 'AWS::IAM::ManagedPolicy') managedIds.add(arn.Ref);
    else throw new Error(`${roleId}: managed policy ${JSON.stringify(arn)} is not in the template, so it cannot be simulated`);
  }
  if (role.Properties.PermissionsBoundary) throw new Error(`${roleId}: permission boundaries are not simulated here yet`);
  for (const [id, r] of Object.entries<Json>(resources)) {
    if (r.Type === 'AWS::IAM::Policy' && refersToRole(r.Properties.Roles)) policies.push({ name: id, policy: resolve(r.Properties.PolicyDocument) });
    if (r.Type === 'AWS::IAM::ManagedPolicy' && (refersToRole(r.Properties.Roles) || managedIds.has(id)))
      policies.push({ name: id, policy: resolve(r.Properties.PolicyDocument) });
  }
  return policies;
}

function platformRequests(resources: Record<string, Json>, fnLogicalId: string, resolve: (v: Json) => Json): IamRequest[] {
  const fn = resources[fnLogicalId].Properties;
  const requests: IamRequest[] = [];
  const logGroup = fn.LoggingConfig?.LogGroup;
  if (!logGroup) throw new Error(`${fnLogicalId}: no log group of its own`);
  const stream = `arn:${PARTITION}:logs:${REGION}:${ACCOUNT}:log-group:${resolve(logGroup)}:log-stream:2026/01/01/[$LATEST]0123456789abcdef`;
  for (const action of ['logs:CreateLogStream', 'logs:PutLogEvents'])
    requests.push({ action, resource: stream, context: {}, origin: 'Lambda writes the function log' });
  if (fn.DeadLetterConfig?.TargetArn) {
    requests.push({
      action: 'sqs:SendMessage',
      resource: resolve(fn.DeadLetterConfig.TargetArn),
      context: {},
      origin: 'Lambda sends a failed async invocation to the dead-letter queue',
    });
  }
  for (const mapping of Object.values<Json>(resources)) {
    if (mapping.Type !== 'AWS::Lambda::EventSourceMapping' || mapping.Properties.FunctionName?.Ref !== fnLogicalId) continue;
    const source = resolve(mapping.Properties.EventSourceArn) as string;
    if (!/^arn:[^:]+:dynamodb:.*\/stream\//.test(source))
      throw new Error(`${fnLogicalId}: event source ${source} is not a DynamoDB stream; extend platformRequests`);
    // What the event source mapping does with the function's role (AWS Lambda developer guide, "Execution role permissions" for DynamoDB).
    for (const action of ['dynamodb:DescribeStream', 'dynamodb:GetShardIterator', 'dynamodb:GetRecords']) {
      requests.push({ action, resource: source, context: {}, origin: 'the event source mapping reads the stream' });
    }
    // ListStreams has no resource type: IAM authorizes it against "*" only.
    requests.push({ action: 'dynamodb:ListStreams', resource: '*', context: {}, origin: 'the event source mapping lists the streams' });
    const onFailure = mapping.Properties.DestinationConfig?.OnFailure?.Destination;
    if (onFailure)
      requests.push({
        action: 'sqs:SendMessage',
        resource: resolve(onFailure),
        context: {},
        origin: 'the event source mapping sends a failed batch to its on-failure queue',
      });
  }
  return requests;
}

/**
 * Resolves Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select and Fn::Split for the fake account and
 * region. Physical names: the table gets `tableName`; a resource with an explicit name property
 * keeps it; any other takes its logical id. An intrinsic or attribute it does not know throws,
 * so a new kind of resource in a policy fails the test instead of being silently misread.
 */
export function resolver(resources: Record<string, Json>, tableName: string): (value: Json) => Json {
  const pseudo: Record<string, string> = {
    'AWS::Partition': PARTITION,
    'AWS::Region': REGION,
    'AWS::AccountId': ACCOUNT,
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': 'IotCallbackGateway',
    'AWS::NoValue': '',
  };
  const nameOf = (id: string): string => {
    const r = resources[id];
    if (!r) throw new Error(`Ref to ${id}: no such resource`);
    const p = r.Properties ?? {};
    switch (r.Type) {
      case 'AWS::DynamoDB::Table':
        return tableName;
      case 'AWS::Events::EventBus':
        return p.Name ?? id;
      case 'AWS::Logs::LogGroup':
        return p.LogGroupName ?? id;
      case 'AWS::SQS::Queue':
        return p.QueueName ?? id;
      case 'AWS::Lambda::Function':
        return p.FunctionName ?? id;
      case 'AWS::IAM::Role':
        return p.RoleName ?? id;
      default:
        return id;
    }
  };
  const ref = (id: string): string => {
    if (id in pseudo) return pseudo[id]!;
    const r = resources[id];
    if (r?.Type === 'AWS::SQS::Queue') return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${nameOf(id)}`;
    if (r?.Type === 'AWS::IAM::ManagedPolicy') return `arn:${PARTITION}:iam::${ACCOUNT}:policy/${id}`;
    return nameOf(id);
  };
  const getAtt = (id: string, attribute: string): string => {
    const r = resources[id];
    if (!r) throw new Error(`GetAtt of ${id}: no such resource`);
    const name = nameOf(id);
    const key = `${r.Type}.${attribute}`;
    switch (key) {
      case 'AWS::DynamoDB::Table.Arn':
        return tableArn(name);
      case 'AWS::DynamoDB::Table.StreamArn':
        return streamArn(name);
      case 'AWS::Events::EventBus.Arn':
        return busArn(name);
      case 'AWS::Events::EventBus.Name':
        return name;
      case 'AWS::Logs::LogGroup.Arn':
        return `arn:${PARTITION}:logs:${REGION}:${ACCOUNT}:log-group:${name}:*`;
      case 'AWS::SQS::Queue.Arn':
        return queueArn(name);
      case 'AWS::SQS::Queue.QueueName':
        return name;
      case 'AWS::IAM::Role.Arn':
        return `arn:${PARTITION}:iam::${ACCOUNT}:role/${name}`;
      case 'AWS::Lambda::Function.Arn':
        return `arn:${PARTITION}:lambda:${REGION}:${ACCOUNT}:function:${name}`;
      case 'AWS::ApiGatewayV2::Api.ApiEndpoint':
        return `https://${id.toLowerCase()}.execute-api.${REGION}.amazonaws.com`;
      case 'AWS::S3::Bucket.Arn':
        return `arn:${PARTITION}:s3:::${name}`;
      case 'AWS::SNS::Topic.TopicArn':
        return `arn:${PARTITION}:sns:${REGION}:${ACCOUNT}:${name}`;
      default:
        throw new Error(`Fn::GetAtt ${key} is not resolved by test/iam/deployed.ts; add it`);
    }
  };
  const visit = (value: Json): Json => {
    if (Array.isArray(value)) return value.map(visit);
    if (value === null || typeof value !== 'object') return value;
    const keys = Object.keys(value);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::'))) {
      const [fn] = keys;
      const arg = value[fn!];
      switch (fn) {
        case 'Ref':
          return ref(arg);
        case 'Fn::GetAtt': {
          const [id, attribute] = Array.isArray(arg) ? arg : String(arg).split(/\.(.*)/);
          return getAtt(id, attribute);
        }
        case 'Fn::Join': {
          const [delimiter, parts] = arg;
          return (visit(parts) as Json[]).join(delimiter);
        }
        case 'Fn::Select': {
          const [index, list] = arg;
          return (visit(list) as Json[])[Number(visit(index))];
        }
        case 'Fn::Split': {
          const [delimiter, source] = arg;
          return String(visit(source)).split(delimiter);
        }
        case 'Fn::Sub': {
          const [text, vars] = Array.isArray(arg) ? arg : [arg, {}];
          return String(text).replace(/\$\{([^}]+)\}/g, (_m: string, name: string) => {
            if (name.startsWith('!')) return `\${${name.slice(1)}}`;
            if (vars && name in vars) return String(visit(vars[name]));
            const [id, attribute] = name.split(/\.(.*)/);
            return attribute ? getAtt(id!, attribute) : ref(id!);
          });
        }
        default:
          throw new Error(`${fn} is not resolved by test/iam/deployed.ts; add it`);
      }
    }
    return Object.fromEntries(keys.map((k) => [k, visit(value[k])]));
  };
  return visit;
}
