// The module boundaries of src/ (docs/decisions/0011-one-home.md), checked by `npm run lint:deps`
// (part of `npm test`). Type-only imports count: a type names what a module depends on.
//
//   core       pure clinical rules: imports nothing outside itself (no package, no Node built-in)
//   fhir       FHIR R4 <-> core inputs: the only place that builds or reads FHIR resources
//   explain    the sentences (message catalogue): core and fhir
//   cds, app   the adapters (CDS Hooks service, SMART app): core, fhir, explain, and the root modules
//   store      persistence: its own modules and the configuration type
//   calibration the site calibration tool: core, fhir, the site-profile schema
//   demo       the embedded demo EHR: may import anything; only server.ts imports it
const ROOT = '^src/[^/]+[.]ts$';
const layer = (name) => `^src/${name}/`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle makes two modules one: split what both need into a third.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-dynamic-import',
      severity: 'error',
      comment: 'Every dependency is visible at the top of the file (the bundle and this check see it).',
      from: { path: '^src/' },
      to: { dynamic: true },
    },
    {
      name: 'core-is-pure',
      severity: 'error',
      comment: 'src/core imports only its own modules: no package, no Node built-in, nothing upward.',
      from: { path: layer('core') },
      to: { pathNot: layer('core') },
    },
    {
      name: 'fhir-only-down-to-core',
      severity: 'error',
      comment: 'src/fhir reads and writes FHIR for the core: it imports core and packages, never an adapter, the sentences or a root module.',
      from: { path: layer('fhir') },
      to: { path: ['^src/(?!fhir/|core/)', ROOT] },
    },
    {
      name: 'explain-only-down',
      severity: 'error',
      comment: 'src/explain words what core and fhir decided; it imports nothing else of the project.',
      from: { path: layer('explain') },
      to: { path: ['^src/(?!explain/|fhir/|core/)', ROOT] },
    },
    {
      name: 'app-not-into-service',
      severity: 'error',
      comment: 'The SMART app (src/app) shares core, fhir and explain with the service, not its adapter, store or server.',
      from: { path: layer('app') },
      to: { path: ['^src/(cds|store|demo|calibration)/', '^src/(express-app|server|config|logger|load-shed|report|bundle)[.]ts$'] },
    },
    {
      name: 'cds-not-into-app',
      severity: 'error',
      comment: 'The CDS service (src/cds) does not import the SMART app, the demo or the calibration tool.',
      from: { path: layer('cds') },
      to: { path: '^src/(app|demo|calibration)/' },
    },
    {
      name: 'store-stands-alone',
      severity: 'error',
      comment: 'src/store persists records; it knows the configuration type and nothing of the adapters or the clinical code.',
      from: { path: layer('store') },
      to: { path: ['^src/(?!store/)', ROOT], pathNot: '^src/config[.]ts$' },
    },
    {
      name: 'calibration-tool',
      severity: 'error',
      comment: 'The calibration tool uses core, fhir and the site-profile schema only.',
      from: { path: layer('calibration') },
      to: { path: ['^src/(?!calibration/|fhir/|core/)', ROOT], pathNot: '^src/(site-profiles|paths)[.]ts$' },
    },
    {
      name: 'root-modules-not-into-adapters',
      severity: 'error',
      comment: 'The configuration and site profiles sit under the adapters: they do not import cds, app, store or demo.',
      from: { path: '^src/(config|site-profiles|paths|logger|load-shed|favicon|client-error)[.]ts$' },
      to: { path: '^src/(cds|app|store|demo|calibration|explain)/' },
    },
    {
      name: 'demo-only-from-server',
      severity: 'error',
      comment: 'The embedded demo is started by server.ts only; the product does not depend on it.',
      from: { path: '^src/', pathNot: ['^src/demo/', '^src/server[.]ts$'] },
      to: { path: layer('demo') },
    },
    {
      name: 'fhir-resources-in-src-fhir',
      severity: 'error',
      comment: 'Only src/fhir (and the demo EHR) build or read FHIR resources: the FHIR types and the FHIR server packages are imported there only.',
      from: { path: '^src/', pathNot: ['^src/fhir/', '^src/demo/'] },
      to: { path: '(^|/)node_modules/(@types/fhir|@medplum)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(dist|coverage)/' },
  },
};
