/**
 * Imported first by run.ts: the handlers' Powertools logger and metrics read these when their
 * modules load, and a benchmark must neither print a log line per request nor emit metrics.
 */
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.POWERTOOLS_SERVICE_NAME ||= 'iot-callback-gateway';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
