import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { loadConsoleFiles } from './files';
import { consoleServer, type ConsoleServer } from './serve';

/**
 * The console's Lambda handler: `GET /console` is the page, `GET /console/{proxy+}` its assets.
 * The files are prepared once per container, on the first request.
 */
export function consoleHandler(load: () => Promise<ConsoleServer> = async () => consoleServer(await loadConsoleFiles())) {
  let server: Promise<ConsoleServer> | undefined;
  return async function serveConsole(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
    server ??= load();
    return (await server)(event.pathParameters?.proxy ?? '', event.headers ?? {});
  };
}
