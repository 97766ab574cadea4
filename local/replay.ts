import './env';
import { parseArgs } from 'node:util';
import { createDynamoClient } from '../shared/aws/clients';
import type { EventSink } from '../shared/events/contract';
import { createEventBridgeClient } from '../shared/aws/clients';
import { EventBridgeSink } from '../shared/events/eventbridge';
import { HttpTargetSink, targetUrl } from '../shared/events/local';
import { replayStored, type ReplayProgress } from '../shared/events/replay';
import { connectEngine } from './engine';
import { ENGINE_FILE } from './gateway';
import { dataDirOf, GATEWAY_FILE, runningGateway, shownUrl } from './running';

const USAGE = `usage: npm run replay -- --scope <scopeId> [--device <deviceId>] [--from <ISO time>] [--to <ISO time>] [--deployed]
Publishes stored events and notifications again, marked "replayed": true, through the same
publisher the table's stream runs; consumers deduplicate on (recordType, scopeId, deviceId, recordId).
  --scope <scopeId>   the ThingSpace account or SENSORO AppID
  --device <id>       one device: a Query of its partitions within the time range
                      (without it every device of the scope is found with a Scan of the WHOLE
                      table filtered on the key prefix: it reads and bills every item; admin use only)
  --from, --to        sentOn range, inclusive, ISO 8601 (default: everything)
  --deployed          the deployed stack: TABLE_NAME (output TableName) and EVENT_BUS_NAME (output
                      EventBusName) with your AWS credentials
Locally the events are POSTed in EventBridge's envelope to EVENTS_TARGET_URL: this command's own when
set, else the one the running \`npm start\` publishes to (found through DATA_DIR/${GATEWAY_FILE}); the
records are read from that npm start's engine (DATA_DIR/${ENGINE_FILE}), or the data in DATA_DIR
(default .local) when none runs, or DYNAMODB_ENDPOINT when set.`;

/** An ISO time option as epoch ms; undefined when absent; throws on anything else. */
function timeOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw new UsageError(`--${name} is not an ISO 8601 time: ${value}`);
  return ms;
}

class UsageError extends Error {}

/** Where the events go, and how the summary names it: the deployed bus, or an EVENTS_TARGET_URL. */
function sinkOf(deployed: boolean): { sink: EventSink; where: string } {
  if (deployed) {
    const bus = process.env.EVENT_BUS_NAME;
    if (!bus) throw new UsageError('--deployed needs EVENT_BUS_NAME (the stack output EventBusName)');
    return { sink: new EventBridgeSink(createEventBridgeClient(), bus), where: `event bus ${bus}` };
  }
  const own = process.env.EVENTS_TARGET_URL;
  const running = own ? undefined : runningGateway(dataDirOf());
  const url = own ?? running?.eventsTargetUrl;
  if (!url) {
    throw new UsageError(
      running
        ? `The npm start running on ${running.dataDir} publishes no events: restart it as EVENTS_TARGET_URL=<url> npm start, or set EVENTS_TARGET_URL=<url> for this command (or use --deployed).`
        : `No EVENTS_TARGET_URL: set one for this command, or run this while EVENTS_TARGET_URL=<url> npm start runs on ${dataDirOf()} (or use --deployed).`,
    );
  }
  // The path too (several targets may share a host), never the credentials or query (a token).
  return { sink: new HttpTargetSink(targetUrl(url)), where: `${shownUrl(url)} (${own ? 'EVENTS_TARGET_URL' : 'EVENTS_TARGET_URL of the running npm start'})` };
}

/** One line of progress on stderr: rewritten in place on a terminal, a line per page otherwise. */
function showProgress(p: ReplayProgress): void {
  const line = `device ${p.devicesDone + 1} of ${p.devices} (${p.deviceId}): ${p.published} published, ${p.failed} failed so far`;
  process.stderr.write(process.stderr.isTTY ? `\r\x1b[K${line}` : `${line}\n`);
}

/** `npm run replay`. Exit codes: 0 all published, 1 some not published (or no engine), 2 a usage error. */
async function main(): Promise<number> {
  let request;
  let deployed: boolean;
  let sink: EventSink;
  let where: string;
  try {
    const { values } = parseArgs({
      options: {
        scope: { type: 'string' },
        device: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        deployed: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    if (!values.scope) throw new UsageError('--scope is required');
    request = { scopeId: values.scope, deviceId: values.device, fromMs: timeOption('from', values.from), toMs: timeOption('to', values.to) };
    if (request.fromMs !== undefined && request.toMs !== undefined && request.fromMs > request.toMs) throw new UsageError('--from is after --to');
    deployed = values.deployed;
    ({ sink, where } = sinkOf(deployed));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { endpoint, tableName, close } = await connectEngine(deployed);
  try {
    const client = createDynamoClient({ ...process.env, ...(endpoint ? { DYNAMODB_ENDPOINT: endpoint } : {}) });
    const summary = await replayStored(client, tableName, sink, request, showProgress);
    if (process.stderr.isTTY) process.stderr.write('\n');
    console.log(
      `Replayed ${summary.published} record(s) of ${summary.devices} device(s) of ${request.scopeId} to ${where}${summary.failed > 0 ? `; ${summary.failed} not published (see the log lines)` : ''}.`,
    );
    return summary.failed > 0 ? 1 : 0;
  } finally {
    await close();
  }
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
