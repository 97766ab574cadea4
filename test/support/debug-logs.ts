/**
 * Imported first by a test that asserts on log lines: the handlers' logger reads its level when
 * its module loads, and test/support/quiet-env.js made every test file start silent.
 */
process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
