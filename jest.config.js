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
    './src/core/': { branches: 95, functions: 100, lines: 98, statements: 98 },
  },
};
