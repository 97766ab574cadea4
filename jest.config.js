// Five projects, one per layer of tests (see README "Tests"). swc strips types only: `npm run build`
// (tsc) is the type check. middy ships ESM, so it is transformed too, and so is jsonc-parser's ESM build
// (shared/http/json-blank.ts imports it: its UMD main cannot be bundled).
const transform = { '^.+\\.(t|j)sx?$': ['@swc/jest'] };
const common = {
  transform,
  transformIgnorePatterns: ['/node_modules/(?!(@middy|jsonc-parser)/)'],
  testEnvironment: 'node',
  // Each test file starts from a quiet environment (no SDK Node-version warning, no log or metric
  // lines); a test that needs logs or metrics turns them on for itself.
  setupFiles: ['<rootDir>/test/support/quiet-env.js'],
};
module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts'] },
    { ...common, displayName: 'infra', testMatch: ['<rootDir>/test/infra/**/*.test.ts'] },
    // Recorded SDK calls of every function against its synthesised role policy (README "Test").
    { ...common, displayName: 'iam', testMatch: ['<rootDir>/test/iam/**/*.test.ts'] },
    // The console in a real headless Chromium against a real `npm start` (skipped, saying so, without a Chromium).
    { ...common, displayName: 'browser', testMatch: ['<rootDir>/test/browser/**/*.test.ts'] },
  ],
};
