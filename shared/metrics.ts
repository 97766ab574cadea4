import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MetricUnit as MetricUnitValue } from '@aws-lambda-powertools/metrics/types';

/**
 * CloudWatch metrics (embedded metric format, written with the logs, no API call) every function
 * shares. Namespace `IotCallbackGateway`; dimensions stay few (channel, reason) so the alarms in
 * the stack can name them. `POWERTOOLS_METRICS_DISABLED=true` silences them (local mode, tests).
 */
export const metrics = new Metrics({ namespace: 'IotCallbackGateway', serviceName: 'iot-callback-gateway' });

export { MetricUnit };

/** Metric names, one place for the code that emits them and the stack that alarms on them. */
export const METRIC = {
  accepted: 'CallbackAccepted',
  duplicate: 'CallbackDuplicate',
  rejected: 'CallbackRejected',
  storeFailure: 'StoreFailure',
  latency: 'CallbackLatency',
  registrationChanges: 'RegistrationChanges',
  registrationFailures: 'RegistrationFailures',
} as const;

/** Adds one count (or a value) under the given dimensions, as a single metric set of its own. */
export function emit(name: string, dimensions: Record<string, string>, value = 1, unit: MetricUnitValue = MetricUnit.Count): void {
  const single = metrics.singleMetric();
  for (const [key, v] of Object.entries(dimensions)) single.addDimension(key, v);
  single.addMetric(name, unit, value);
}
