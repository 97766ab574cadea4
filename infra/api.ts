import { Duration, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { type CfnStage, HttpApi, HttpMethod, type HttpRoute, type HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { AUTHORIZER_ID, CONSOLE_ID, type FunctionDefinition } from '../shared/routes';
import type { GatewayFunction } from './gateway-function';
import type { RouteThrottle } from './settings';

/** The HTTP API, its access logs and its `$default` stage. */
export interface GatewayApi {
  api: HttpApi;
  accessLogs: logs.LogGroup;
  stage: HttpStage;
}

/** The HTTP API `Api` with its log group `ApiAccessLogs` and stage `DefaultStage`, all in `scope` (the stack). */
export function addHttpApi(scope: Construct, logRetentionDays: logs.RetentionDays): GatewayApi {
  // The default stage is made below, with the settings HttpApi's own one cannot take.
  const api = new HttpApi(scope, 'Api', { createDefaultStage: false });
  // Access logs (cdk-nag APIG1): who called which route, the answer and why it failed, kept as long as the function logs.
  const accessLogs = new logs.LogGroup(scope, 'ApiAccessLogs', { retention: logRetentionDays });
  const stage = api.addStage('DefaultStage', {
    stageName: '$default',
    autoDeploy: true,
    accessLogSettings: { destination: new LogGroupLogDestination(accessLogs), format: ACCESS_LOG_FORMAT },
  });
  return { api, accessLogs, stage };
}

/** The API key authorizer (the `authorizer` function) when some function's routes are authorized. */
export function apiKeyAuthorizer(functions: readonly FunctionDefinition[], built: Record<string, GatewayFunction>): HttpLambdaAuthorizer | undefined {
  if (!functions.some((definition) => definition.authorized && definition.routes.length > 0)) return undefined;
  const authorizerFunction = built[AUTHORIZER_ID];
  if (!authorizerFunction) throw new Error(`Authorized routes need the "${AUTHORIZER_ID}" function`);
  return new HttpLambdaAuthorizer('ApiKeyAuthorizer', authorizerFunction.function, {
    authorizerName: 'api-key',
    responseTypes: [HttpLambdaResponseType.SIMPLE],
    // No identity source: API Gateway would answer a request without the header itself (401 with a
    // body); empty, every request reaches the authorizer, which answers 401 without one.
    identitySource: [],
    // An empty identity source allows no gateway cache; the authorizer caches keys itself.
    resultsCacheTtl: Duration.seconds(0),
  });
}

export interface RoutesProps {
  functions: readonly FunctionDefinition[];
  built: Record<string, GatewayFunction>;
  authorizer?: HttpLambdaAuthorizer;
  webhookThrottle: RouteThrottle;
  queryThrottle: RouteThrottle;
}

/** Every route of every function, each throttled on the stage by its own bucket. */
export function addRoutes({ api, stage }: GatewayApi, { functions, built, authorizer, webhookThrottle, queryThrottle }: RoutesProps): void {
  const routeSettings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> = {};
  for (const definition of functions) {
    if (definition.routes.length === 0) continue;
    // One integration per function, shared by its routes (each route still gets its own invoke permission).
    const integration = new HttpLambdaIntegration(`${definition.id}-integration`, built[definition.id].function);
    // Webhooks take provider bursts (retries after an outage); the query API serves a few clients.
    const throttle = definition.provider ? webhookThrottle : queryThrottle;
    for (const route of definition.routes) {
      const [httpRoute] = api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration,
        authorizer: definition.authorized ? authorizer : undefined,
      });
      routeSettings[`${route.method} ${route.path}`] = { ThrottlingRateLimit: throttle.rate, ThrottlingBurstLimit: throttle.burst };
      // A stage's route settings name existing routes: create the routes first.
      stage.node.addDependency(httpRoute);
      // Only provider callbacks may go without the authorizer: any other open route stays a finding.
      if (definition.provider && !definition.authorized) acknowledgeUnauthorizedRoute(httpRoute, definition);
      // And the console's page, which holds no data: its user's key goes with each `/v1` request it makes.
      if (definition.id === CONSOLE_ID) acknowledgeConsoleRoute(httpRoute);
    }
  }
  // Per route, so a flood on one channel cannot use up the others' share of the account's API Gateway limit.
  (stage.node.defaultChild as CfnStage).routeSettings = routeSettings;
}

/**
 * One JSON line per request: the route (not the path, which carries device ids), the answer, and
 * why the gateway or the integration failed. No header or body: signatures and credentials stay out.
 */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    sourceIp: '$context.identity.sourceIp',
    requestTime: '$context.requestTimeEpoch',
    routeKey: '$context.routeKey',
    status: '$context.status',
    protocol: '$context.protocol',
    responseLength: '$context.responseLength',
    integrationStatus: '$context.integration.status',
    integrationLatency: '$context.integration.latency',
    integrationError: '$context.integration.error',
    authorizerError: '$context.authorizer.error',
    errorMessage: '$context.error.message',
  }),
);

/** cdk-nag APIG4, acknowledged on each provider callback route (and only there). */
function acknowledgeUnauthorizedRoute(route: HttpRoute, definition: FunctionDefinition): void {
  Validations.of(route).acknowledge({
    id: 'AwsSolutions-APIG4',
    reason:
      `A ${definition.provider} callback route: the provider cannot send an API key or SigV4, so API Gateway cannot authorize it. ` +
      'The function authenticates every request before storing anything (HMAC signature or the registered credentials, checked ' +
      "in constant time against the channel's secret; optionally a source address allow-list), and the route is throttled.",
  });
}

/** cdk-nag APIG4, acknowledged on the console's two routes (and only there). */
function acknowledgeConsoleRoute(route: HttpRoute): void {
  Validations.of(route).acknowledge({
    id: 'AwsSolutions-APIG4',
    reason:
      "The operator console's static page and assets: public files with no data in them, served with a strict Content-Security-Policy. " +
      'A browser cannot send an API key when it loads a page; the page sends the key its user typed with each /v1 request, and the ' +
      'API key authorizer checks every one of those. The function has no table or secret access, and the route is throttled.',
  });
}
