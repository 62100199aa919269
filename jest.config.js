/**
 * Jest runs TypeScript through ts-jest in transpile-only mode (TypeScript 5.9, pinned: ts-jest does not
 * support the native TypeScript 7); `npm run typecheck` does the type checking.
 *
 * Coverage is Babel's instrumentation (the default `coverageProvider`): on this suite `v8` took as long
 * or longer (its conversion of every file's coverage outweighs what it saves at run time) and counts
 * branches differently, which the src/core threshold is stated in.
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
  // One worker per core. Jest's default (cores - 1) runs everything in one process on a two-core machine,
  // where much of the suite waits on Chromium, child processes and servers rather than using its core.
  maxWorkers: '100%',
  // src/app/browser runs in Chromium only (the e2e tests); the rest of src/app is tested in Node.
  collectCoverageFrom: ['src/**/*.ts', '!src/app/browser/**'],
  coverageReporters: ['text-summary', 'text', 'lcov'],
  coverageThreshold: {
    './src/core/': { branches: 100, functions: 100, lines: 95, statements: 95 },
    // Measured when src/app joined the coverage: 97.9 % statements, 90.0 % branches, 97.2 % functions, 99.1 % lines.
    './src/app/': { branches: 88, functions: 95, lines: 97, statements: 96 },
  },
};
