import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { HttpApi, HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import type { HttpLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { FUNCTIONS, type FunctionDefinition } from '../shared/routes';
import { addHttpApi, addRoutes, apiKeyAuthorizer } from './api';
import { CallbackArchive } from './archive';
import { GatewayFunction } from './gateway-function';
import { GatewayMonitoring } from './monitoring';
import { addSchedules } from './schedule';
import type { GatewayFunctionSettings, GatewaySettings } from './settings';
import { allowedSourceIps, webhookChannel } from './source-allow-list';
import { addCallbackTable, addEventBus } from './storage';
import { addStreamPublishers } from './stream-publisher';

/** Stack props: the deployment settings, plus the usual StackProps. */
export interface IotCallbackGatewayStackProps extends StackProps, GatewaySettings {
  /** Functions (and their routes) to deploy; defaults to the shared function table. */
  functions?: readonly FunctionDefinition[];
}

/**
 * The gateway: one table, one HTTP API, one function per entry of the function table with one API
 * route per route of it, and one API key authorizer in front of the routes of authorized functions.
 * With a stream function (the event publisher), the table's stream and the event bus it publishes
 * every stored event and notification to. Every part is built in the stack's own scope (storage.ts,
 * api.ts, schedule.ts, stream-publisher.ts), so the resources keep their logical ids.
 */
export class IotCallbackGatewayStack extends Stack {
  readonly table: dynamodb.Table;
  readonly api: HttpApi;
  /** Present when some function runs on the table's stream: where stored events and notifications are published. */
  readonly eventBus?: events.EventBus;
  readonly functions: Record<string, GatewayFunction> = {};
  /** Present when some function's routes are authorized. */
  readonly authorizer?: HttpLambdaAuthorizer;
  /** The `$default` stage: access logs and per-route throttling. */
  readonly stage: HttpStage;
  readonly accessLogs: logs.LogGroup;
  readonly monitoring: GatewayMonitoring;
  /** Present when the archiver is deployed: the archive bucket, its Glue table and view, the Athena workgroup. */
  readonly archive?: CallbackArchive;

  constructor(scope: Construct, id: string, props: IotCallbackGatewayStackProps) {
    super(scope, id, props);
    const {
      functions: requested = FUNCTIONS,
      reregisterRateMinutes,
      webhookThrottle,
      queryThrottle,
      alarmEmail,
      rejectionAlarmThreshold,
      archive,
      archiveRetentionDays,
      archiveColdAfterDays,
      archiveObjectLockDays,
      archiveScanLimitMb,
      ...configured
    } = props;
    // `archive: false` deploys no archiver, and so no bucket, table or workgroup.
    const functions = requested.filter((definition) => archive || definition.table !== 'archive-events');
    checkSourceAllowList(functions, configured.sourceAllowList);

    this.table = addCallbackTable(this, { stream: functions.some((definition) => definition.stream) });
    // The bus only for the publisher: the archiver reads the stream too, but publishes nothing.
    this.eventBus = functions.some((definition) => definition.table === 'publish-events') ? addEventBus(this, this.table) : undefined;
    const gatewayApi = addHttpApi(this, configured.logRetentionDays);
    this.api = gatewayApi.api;
    this.accessLogs = gatewayApi.accessLogs;
    this.stage = gatewayApi.stage;

    if (functions.some((definition) => definition.table === 'archive-events')) {
      this.archive = new CallbackArchive(this, 'Archive', { archiveRetentionDays, archiveColdAfterDays, archiveObjectLockDays, archiveScanLimitMb });
    }
    const settings = this.functionSettings(configured);
    for (const definition of functions) {
      this.functions[definition.id] = new GatewayFunction(this, definition.id, {
        definition,
        table: this.table,
        settings,
        eventBus: this.eventBus,
        archiveBucket: this.archive?.bucket,
      });
    }
    this.authorizer = apiKeyAuthorizer(functions, this.functions);
    addRoutes(gatewayApi, { functions, built: this.functions, authorizer: this.authorizer, webhookThrottle, queryThrottle });

    this.monitoring = new GatewayMonitoring(this, 'Monitoring', {
      api: this.api,
      functions: functions.map((definition) => ({ definition, gateway: this.functions[definition.id] })),
      reregisterRateMinutes,
      rejectionAlarmThreshold,
      alarmEmail,
    });
    addSchedules(this, functions, this.functions, reregisterRateMinutes);
    addStreamPublishers(this, functions, this.functions, this.table);
    this.addOutputs();
  }

  /**
   * Unless a custom domain is configured, ThingSpace is told to call the API's own endpoint ($default stage: no path prefix).
   * SENSORO signs the URL it calls: the API's own endpoint unless a custom domain fronts it (never a client's Host header).
   */
  private functionSettings(configured: GatewayFunctionSettings): GatewayFunctionSettings {
    return {
      ...configured,
      publicBaseUrl: configured.publicBaseUrl || this.api.apiEndpoint,
      sensoroPublicBaseUrl: configured.sensoroPublicBaseUrl || this.api.apiEndpoint,
    };
  }

  private addOutputs(): void {
    new CfnOutput(this, 'ApiUrl', { value: this.api.apiEndpoint });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    if (this.eventBus) {
      new CfnOutput(this, 'EventBusName', { value: this.eventBus.eventBusName });
      new CfnOutput(this, 'EventBusArn', { value: this.eventBus.eventBusArn });
    }
    new CfnOutput(this, 'ApiAccessLogGroup', { value: this.accessLogs.logGroupName });
    new CfnOutput(this, 'DashboardName', { value: this.monitoring.dashboard.dashboardName });
    if (this.monitoring.topic) new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.topic.topicArn });
  }
}

/** An allow-list for a channel no function serves is a typo that would silently protect nothing. */
function checkSourceAllowList(functions: readonly FunctionDefinition[], sourceAllowList: GatewayFunctionSettings['sourceAllowList']): void {
  const channels = functions.map(webhookChannel).filter((c): c is string => c !== undefined);
  for (const [channel, entries] of Object.entries(sourceAllowList)) {
    if (!channels.includes(channel)) throw new Error(`Context sourceAllowList names "${channel}", not one of the webhook channels: ${channels.join(', ')}`);
    allowedSourceIps(channel, entries);
  }
}
