import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { AUTHORIZER_ID, FUNCTIONS, type BoundRoute, type FunctionDefinition } from '../shared/routes';

type Handler = (event: unknown, context: Context) => Promise<unknown>;

/** API Gateway's own payload limit; the handlers enforce their smaller cap themselves. */
const API_GATEWAY_MAX_BYTES = 10 * 1024 * 1024;

// API Gateway HTTP APIs pass these bodies as text and base64-encode every other one.
const TEXT_MEDIA_TYPE = /^(text\/[\w.+-]+|application\/(json|xml|javascript))\s*(;|$)/i;

interface CompiledRoute {
  route: BoundRoute;
  pattern: RegExp;
  params: string[];
}

function compile(route: BoundRoute): CompiledRoute {
  const params: string[] = [];
  const source = route.path
    .split('/')
    .map((segment) => {
      const param = /^\{(\w+)(\+?)\}$/.exec(segment);
      if (!param) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      params.push(param[1]!);
      // A greedy `{name+}` (API Gateway's proxy parameter) takes the rest of the path, slashes too.
      return param[2] ? '(.+)' : '([^/]+)';
    })
    .join('/');
  return { route, pattern: new RegExp(`^${source}$`), params };
}

/**
 * An HTTP server that does what API Gateway does for the project's routes: it matches the route,
 * turns the request into an API Gateway v2 (payload 2.0) event, runs the Lambda authorizer first
 * on authorized routes (simple responses: its context reaches the handler as
 * `requestContext.authorizer.lambda`; `isAuthorized: false` is API Gateway's 403), calls the same
 * handler module the Lambda runs, and writes the structured result back. Handlers cannot tell.
 */
export function createLocalServer(routes: readonly BoundRoute[], root: string): Server {
  // Literal segments win over parameters, as in API Gateway (`_query` before `{notificationId}`), and
  // a greedy parameter comes last.
  const greedy = (c: CompiledRoute) => (c.route.path.endsWith('+}') ? 1 : 0);
  const compiled = routes.map(compile).sort((a, b) => greedy(a) - greedy(b) || a.params.length - b.params.length);
  const handlers = new Map<string, Promise<Handler>>();
  const load = (fn: FunctionDefinition) => {
    let handler = handlers.get(fn.id);
    if (!handler) {
      handler = import(join(root, fn.entry)).then((m: { handler: Handler }) => m.handler);
      handlers.set(fn.id, handler);
    }
    return handler;
  };
  const authorizerFn = FUNCTIONS.find((f) => f.id === AUTHORIZER_ID)!;
  // A mistyped webhook URL is a setup error (the URL registered with a provider): the 404 says
  // which webhook routes exist, as `npm run send` names its channels. Never the requested path.
  const webhookRoutes = routes.filter((r) => r.path.startsWith('/webhooks/')).map((r) => `${r.method} ${r.path}`);

  return createServer((req, res) => {
    serve(req, res).catch(() => send(res, { statusCode: 500, body: JSON.stringify({ message: 'Internal Server Error' }) }));
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://local');
    const method = (req.method ?? 'GET').toUpperCase();
    const onPath = compiled.map((c) => ({ c, m: c.pattern.exec(url.pathname) })).filter((x) => x.m);
    const hit = onPath.find((x) => x.c.route.method === method);
    if (!hit) {
      req.resume();
      if (onPath.length > 0) return send(res, { statusCode: 405, body: JSON.stringify({ message: 'Method Not Allowed' }) });
      const webhook = url.pathname === '/webhooks' || url.pathname.startsWith('/webhooks/');
      return send(res, { statusCode: 404, body: JSON.stringify(webhook ? { message: 'Not Found', routes: webhookRoutes } : { message: 'Not Found' }) });
    }
    const body = await readBody(req);
    if (body === undefined) return send(res, { statusCode: 413, body: JSON.stringify({ message: 'Request Entity Too Large' }) });

    const { route, params } = hit.c;
    let pathParameters: Record<string, string>;
    try {
      pathParameters = Object.fromEntries(params.map((p, i) => [p, decodeURIComponent(hit.m![i + 1]!)]));
    } catch {
      return send(res, { statusCode: 400, body: JSON.stringify({ message: 'Bad Request' }) });
    }
    const requestId = randomUUID();
    const event = toEvent(req, url, method, route, pathParameters, body, requestId);
    if (route.fn.authorized) {
      const authorizer = await load(authorizerFn);
      const decision = (await authorizer(authorizerEvent(event), lambdaContext(authorizerFn.id, requestId))) as {
        isAuthorized?: boolean;
        context?: Record<string, unknown>;
      };
      if (decision?.isAuthorized !== true) return send(res, { statusCode: 403, body: JSON.stringify({ message: 'Forbidden' }) });
      (event.requestContext as unknown as Record<string, unknown>).authorizer = { lambda: decision.context ?? {} };
    }
    const handler = await load(route.fn);
    const result = await handler(event, lambdaContext(route.fn.id, requestId));
    send(res, normalise(result));
  }
}

/** The payload 2.0 REQUEST authorizer event API Gateway builds from the same request. */
function authorizerEvent(event: APIGatewayProxyEventV2) {
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: `arn:aws:execute-api:local:000000000000:local/$default/${event.routeKey.replace(' ', '')}`,
    identitySource: [],
    routeKey: event.routeKey,
    rawPath: event.rawPath,
    rawQueryString: event.rawQueryString,
    headers: event.headers,
    queryStringParameters: event.queryStringParameters,
    pathParameters: event.pathParameters,
    requestContext: event.requestContext,
  };
}

function toEvent(
  req: IncomingMessage,
  url: URL,
  method: string,
  route: BoundRoute,
  pathParameters: Record<string, string>,
  body: Buffer,
  requestId: string,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = query[k] !== undefined ? `${query[k]},${v}` : v;
  const text = TEXT_MEDIA_TYPE.test(headers['content-type'] ?? '');
  const now = new Date();
  const sourceIp = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
  // API Gateway sets these itself, whatever a client sent; so does this adapter. (No handler trusts
  // them for anything that matters: the SENSORO channel signs over its configured public URL.)
  headers['x-forwarded-for'] = sourceIp;
  headers['x-forwarded-proto'] = 'http';
  headers['x-forwarded-port'] = String(req.socket.localPort ?? '');
  // API Gateway's own domain name, not the client's Host header.
  const domainName = `${(req.socket.localAddress ?? '127.0.0.1').replace(/^::ffff:/, '')}:${req.socket.localPort ?? ''}`;
  return {
    version: '2.0',
    routeKey: `${route.method} ${route.path}`,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    pathParameters,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName,
      domainPrefix: domainName.split('.')[0]!,
      http: { method, path: url.pathname, protocol: `HTTP/${req.httpVersion}`, sourceIp, userAgent: headers['user-agent'] ?? '' },
      requestId,
      routeKey: `${route.method} ${route.path}`,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0 ? { body: text ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: body.length > 0 && !text,
  };
}

function lambdaContext(functionName: string, awsRequestId: string): Context {
  const deadline = Date.now() + 10_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > API_GATEWAY_MAX_BYTES) {
      req.resume();
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** API Gateway v2's rules: a result without statusCode is a 200 JSON body. */
function normalise(result: unknown): APIGatewayProxyStructuredResultV2 {
  if (typeof result === 'object' && result !== null && 'statusCode' in result) return result as APIGatewayProxyStructuredResultV2;
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: typeof result === 'string' ? result : JSON.stringify(result) };
}

function send(res: ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  if (res.headersSent) return;
  const body = result.body === undefined ? undefined : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
  res.writeHead(result.statusCode ?? 200, {
    ...(result.body !== undefined && !result.headers?.['content-type'] ? { 'content-type': 'application/json' } : {}),
    ...result.headers,
    ...(body ? { 'content-length': body.length } : {}),
  });
  res.end(body);
}
