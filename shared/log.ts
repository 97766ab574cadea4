import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The structured JSON logger every function shares. Log lines carry ids, names and outcomes,
 * never a secret, a password, a signature, a digest or a body. `POWERTOOLS_LOG_LEVEL` sets the level.
 */
export const logger = new Logger({ serviceName: 'iot-callback-gateway' });
