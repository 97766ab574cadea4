// Runs before every test file (jest setupFiles). The pinned AWS SDK supports Node 20 and only
// warns about its future releases (README "Quick start"); logs and metrics are the handlers' own
// output, not the tests': a test that asserts on them turns them on (and captures them) itself.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL = process.env.TEST_LOG_LEVEL || 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
