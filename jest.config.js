/**
 * Jest runs TypeScript through ts-jest in transpile-only mode (TypeScript 5.9, pinned: ts-jest does not
 * support the native TypeScript 7); `npm run typecheck` does the type checking.
 */
/** The ESM-only d3 packages (d3-array and its internmap). */
const D3_PACKAGES = '(d3-[a-z]+(-[a-z]+)*|internmap)';
const D3_MODULES = `/node_modules/${D3_PACKAGES}/`;

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // tsconfig.json sets isolatedModules, which makes ts-jest transpile each file on its own.
  // d3-array and internmap are ESM only (.mjs, internmap's .js): ts-jest transpiles
  // them to CommonJS as well, and only them; every other package in node_modules is loaded as it is.
  transform: {
    '^.+\\.ts$': 'ts-jest',
    [`${D3_MODULES}.+\\.m?js$`]: ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs', isolatedModules: true } }],
  },
  transformIgnorePatterns: [`/node_modules/(?!${D3_PACKAGES}/)`],
  collectCoverageFrom: ['src/**/*.ts', '!src/app/**'],
  coverageReporters: ['text-summary', 'text', 'lcov'],
  coverageThreshold: {
    './src/core/': { branches: 100, functions: 100, lines: 95, statements: 95 },
  },
};
