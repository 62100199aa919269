/**
 * Jest runs TypeScript through ts-jest in transpile-only mode (TypeScript 5.9, pinned: ts-jest does not
 * support the native TypeScript 7); `npm run typecheck` does the type checking.
 */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // tsconfig.json sets isolatedModules, which makes ts-jest transpile each file on its own.
  transform: { '^.+\\.ts$': 'ts-jest' },
  // src/app/browser runs in Chromium only (the e2e tests); the rest of src/app is tested in Node.
  collectCoverageFrom: ['src/**/*.ts', '!src/app/browser/**'],
  coverageReporters: ['text-summary', 'text', 'lcov'],
  coverageThreshold: {
    './src/core/': { branches: 100, functions: 100, lines: 95, statements: 95 },
  },
};
