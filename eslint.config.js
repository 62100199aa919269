// Lint rules, including the one-way import direction of conventions.md:
// cds, app, store -> fhir -> core, and core imports nothing outside itself. The embedded demo (src/demo)
// sits on top: it may import anything; nothing of the product imports it (server.ts starts it).
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');

const onlyWithinCore = {
  regex: '^(?!\\./)',
  message: 'src/core is pure: it imports only its own modules (./x), no packages, no Node built-ins, nothing upward.',
};
const upward = (layers) => ({
  regex: `(^|/)(${layers.join('|')})(/|$)`,
  message: 'Imports go one way: cds, app, store -> fhir -> core. Nothing imports upward.',
});
const noDemo = {
  regex: '(^|/)demo(/|$)',
  message: 'The embedded demo is started by server.ts only; the product does not depend on it.',
};

module.exports = tseslint.config(
  { ignores: ['dist/**', 'coverage/**', 'node_modules/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', process: 'readonly', console: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/ban-ts-comment': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [onlyWithinCore] }] },
  },
  {
    files: ['src/fhir/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [upward(['cds', 'app', 'store', 'demo'])] }] },
  },
  {
    files: ['src/app/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [upward(['cds', 'store', 'demo'])] }] },
  },
  {
    files: ['src/cds/**/*.ts', 'src/app.ts', 'src/config.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noDemo] }] },
  },
  {
    files: ['src/store/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [upward(['cds', 'app', 'demo'])] }] },
  },
);
