// ESLint flat config (issue 19, "Habits"). Type-aware: typescript-eslint reads the same tsconfig.json as
// `tsc --noEmit` through the project service, so every rule below sees the real types. Prettier owns the
// layout (.prettierrc.json); eslint-config-prettier, last, turns off every rule that would fight it.
// `npm run lint` checks (tsc, eslint, prettier --check); `npm run format` rewrites (prettier, eslint --fix).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

// The few plain JavaScript files (jest.config.js, test/support/quiet-env.js, this file) run under Node.
const nodeGlobals = Object.fromEntries(
  ['require', 'module', 'exports', '__dirname', '__filename', 'process', 'console', 'Buffer', 'URL', 'setTimeout', 'clearTimeout'].map((g) => [g, 'readonly']),
);

export default tseslint.config(
  {
    // Generated, recorded or machine-written; bench/results holds the bench's JSON output.
    ignores: ['node_modules/', 'cdk.out/', '.local*/', 'coverage/', 'bench/results/', 'test/fixtures/', '.ci/cache/'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // The habits this issue asks for, named here so that they stay errors whatever the preset becomes.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unsafe-argument': 'error',
      '@typescript-eslint/no-unsafe-assignment': 'error',
      '@typescript-eslint/no-unsafe-call': 'error',
      '@typescript-eslint/no-unsafe-member-access': 'error',
      '@typescript-eslint/no-unsafe-return': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      // tsc already reports unused locals (noUnusedLocals); eslint adds unused parameters only when
      // they are not marked with a leading underscore, and lets `catch {}` / rest siblings be.
      // Off while tsconfig.json lacks noUncheckedIndexedAccess: the code is written for that flag (`xs[i]!`,
      // `m.get(k)!` after a check), and --fix would strip ~270 such `!` that the flag needs again. With the
      // flag on (52 tsc errors today, in infra/, bench/ and test/infra/), turn this back to 'error'.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // Off: an `async` function without `await` is how this code implements a Promise-returning
      // interface (stubs such as `stop: async () => undefined`, `show: async (items) => items.map(...)`),
      // and `async` turns a throw into a rejection, which callers rely on. 15 reports, none a bug.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
    },
  },
  {
    // Tests: the five no-unsafe-* rules are off here, measured, not guessed (587 reports on the tree of
    // issue 19, none a bug). Their `any`s are deliberate: jest's asymmetric matchers (`expect.any(String)`,
    // `expect.objectContaining(...)`, `expect.stringMatching(...)`) are typed `any`, so every assertion that
    // uses one is an "unsafe assignment"; the infra and iam tests walk the synthesised CloudFormation
    // template, typed `any` by CDK's Template.toJSON() (test/infra/support.ts `Json`); the HTTP tests read
    // JSON.parse'd response bodies. Casting each of them would add noise and catch nothing that the
    // assertion itself does not. Kept in tests: no-explicit-any (a new `any` is written on purpose, with a
    // disable comment like test/infra/support.ts) and the promise rules (a floating promise in a test is a
    // test that passes without waiting).
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // Plain JavaScript outside the TypeScript project: no type information, CommonJS under Node.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      sourceType: 'commonjs',
      globals: nodeGlobals,
    },
    rules: {
      ...tseslint.configs.disableTypeChecked.rules,
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module' },
  },
  prettier,
);
