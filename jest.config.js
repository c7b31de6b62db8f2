// Three projects that can run alone (`npm run test:unit|test:integration|test:e2e`):
//   unit         *.test.ts next to the code: pure logic, in-process brokers, SQLite — no services
//   integration  *.int.test.ts: the real MariaDB, Redis, NATS, Kafka, Elasticsearch and Prometheus,
//                brought up by cluster/infra when not already reachable
//   e2e          *.e2e.test.ts: real Kefu processes started as users start them
// TypeScript runs as native ESM (the node code itself runs unbundled on Node's type stripping);
// SWC only strips types for jest, it does not bundle or change module semantics.
const transform = {
  '^.+\\.tsx?$': [
    '@swc/jest',
    { jsc: { parser: { syntax: 'typescript' }, target: 'es2023' }, module: { type: 'es6' } },
  ],
};
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  transform,
  testEnvironment: 'node',
  testPathIgnorePatterns: ['/node_modules/', '/web/public/'],
};

export default {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/**/*.test.ts'],
      testPathIgnorePatterns: [...common.testPathIgnorePatterns, '\\.int\\.test\\.ts$', '\\.e2e\\.test\\.ts$'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/**/*.int.test.ts'],
      globalSetup: '<rootDir>/tests/infra.setup.ts',
      globalTeardown: '<rootDir>/tests/infra.teardown.ts',
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/**/*.e2e.test.ts'],
    },
  ],
};
