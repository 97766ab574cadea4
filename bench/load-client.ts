import { createHmac } from 'node:crypto';
import autocannon from 'autocannon';
import { latencyOf, type Latency } from './lib';

/**
 * The load generator of the end-to-end group, run in a child process (forked by end-to-end.ts) so
 * that building and signing requests does not share an event loop with the server it measures.
 * It receives one LoadSpec, sends exactly `amount` signed Diagnostics callbacks, each with a body
 * of its own, and answers one LoadResult.
 */
export interface LoadSpec {
  url: string;
  path: string;
  connections: number;
  amount: number;
  key: string;
  token: string;
  account: string;
  /** Every body names one of these devices, so the stored records can be counted per partition. */
  devices: string[];
  /** Makes the bodies of this run unique among all runs (the gateway stores identical bytes once). */
  tag: string;
}

export interface LoadResult {
  sent: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  elapsedMs: number;
  /** 2xx answers per second, first request sent to last answer received. */
  rps: number;
  latencyMs: Latency;
  /** Every answer's latency (ms, 0.01 ms resolution), so runs can be merged before taking percentiles. */
  latencies: number[];
}

/** A Diagnostics observation like test/fixtures/diagnostics-observation.json, unique by its transactionID. */
export function diagnosticsBody(spec: Pick<LoadSpec, 'account' | 'devices' | 'tag'>, n: number): string {
  const createdOn = new Date(Date.UTC(2026, 10, 21, 10) + n * 1000).toISOString();
  return JSON.stringify({
    accountName: spec.account,
    transactionID: `${spec.tag}-${String(n).padStart(7, '0')}`,
    device: { id: spec.devices[n % spec.devices.length], kind: 'imei' },
    attributes: [
      { name: 'RADIO_SIGNAL_STRENGTH', value: String(-60 - (n % 40)), createdOn },
      { name: 'LINK_QUALITY', value: 'GOOD', createdOn },
      { name: 'CELL_ID', value: '310-410-12345-678', createdOn },
    ],
  });
}

async function run(spec: LoadSpec): Promise<LoadResult> {
  let n = 0;
  let sent = 0;
  const latencies: number[] = [];
  let last = 0;
  const started = performance.now();
  const instance = autocannon({
    url: spec.url,
    connections: spec.connections,
    amount: spec.amount,
    pipelining: 1,
    timeout: 10,
    requests: [
      {
        method: 'POST',
        path: spec.path,
        // A new body and signature per request: the gateway would store a repeated body once.
        setupRequest: (request) => {
          const body = diagnosticsBody(spec, n++);
          return {
            ...request,
            headers: {
              'content-type': 'application/json',
              'x-signature': createHmac('sha256', spec.key).update(body).digest('hex'),
              'x-callback-token': spec.token,
            },
            body,
          };
        },
      },
    ],
  });
  instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
    sent++;
    latencies.push(responseTime);
    last = performance.now();
  });
  const result = await instance;
  const elapsedMs = last - started;
  const codes = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count]));
  return {
    sent,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes: codes,
    elapsedMs,
    rps: (result['2xx'] * 1000) / elapsedMs,
    latencyMs: latencyOf(latencies),
    latencies: latencies.map((ms) => Math.round(ms * 100) / 100),
  };
}

if (require.main === module) {
  process.once('message', (spec: LoadSpec) => {
    run(spec).then(
      (result) => process.send!({ result }, () => process.exit(0)),
      (error: unknown) => process.send!({ error: String(error) }, () => process.exit(1)),
    );
  });
}
