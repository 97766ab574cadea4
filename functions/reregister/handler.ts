import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { logger } from '../../shared/log';
import { emit, METRIC } from '../../shared/metrics';
import { jobConfig } from '../../shared/reregister/config';
import { runReregistration } from '../../shared/reregister/job';
import { createJobDependencies } from '../../shared/wiring/job';

const config = jobConfig();
const deps = createJobDependencies(config);

/**
 * The scheduled re-registration run. Failures of an account or service are reported (log lines,
 * status records) and do not fail the invocation: a retried invocation would log in again, and a
 * failed login must wait for the next scheduled run. Only a crash fails it (then EventBridge
 * retries, and the dead-letter queue keeps what still fails).
 */
async function reregister(): Promise<{ changed: number; errors: number; unchanged: number }> {
  const changes = await runReregistration(config, deps);
  for (const c of changes) {
    const fields = { account: c.account, service: c.service, outcome: c.action, ...(c.detail ? { detail: c.detail } : {}) };
    if (c.action === 'error') logger.error('registration failed', fields);
    else logger.info('registration checked', fields);
  }
  const summary = {
    changed: changes.filter((c) => c.action === 'registered' || c.action === 'rotated').length,
    errors: changes.filter((c) => c.action === 'error').length,
    unchanged: changes.filter((c) => c.action === 'unchanged').length,
  };
  emit(METRIC.registrationChanges, {}, summary.changed);
  emit(METRIC.registrationFailures, {}, summary.errors);
  return summary;
}

export const handler = middy(reregister).use(injectLambdaContext(logger, { resetKeys: true }));
