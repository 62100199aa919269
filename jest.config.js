/** Jest runs TypeScript through SWC (transpile only); `npm run typecheck` does the type checking. */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  collectCoverageFrom: ['src/**/*.ts', '!src/app/**'],
  coverageReporters: ['text-summary', 'text', 'lcov'],
  coverageThreshold: {
    // Statement counts through SWC's transform are approximate; branches and functions are exact.
    './src/core/': { branches: 100, functions: 100, lines: 95, statements: 95 },
  },
};
