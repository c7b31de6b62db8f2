// ESLint (flat config) with typescript-eslint. One project rule beyond the recommended sets:
// the pure domain folders (actor state, machines, policies, protocols) stay free of I/O libraries,
// so they can be proved by unit and property tests without a broker, a socket or a database.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const IO_LIBRARIES = [
  { name: 'moleculer', message: 'Pure domain code must not depend on the broker; return effects instead.' },
  { name: 'uWebSockets.js', message: 'Pure domain code must not depend on the gateway.' },
  { name: 'kafkajs', message: 'Pure domain code must not do I/O.' },
  { name: 'ioredis', message: 'Pure domain code must not do I/O.' },
  { name: '@elastic/elasticsearch', message: 'Pure domain code must not do I/O.' },
  { name: 'node:fs', message: 'Pure domain code must not do I/O.' },
  { name: 'node:net', message: 'Pure domain code must not do I/O.' },
  { name: 'node:http', message: 'Pure domain code must not do I/O.' },
  { name: 'node:child_process', message: 'Pure domain code must not do I/O.' },
];

export default tseslint.config(
  { ignores: ['node_modules/', 'web/public/', 'coverage/', 'artifacts/', 'data/', 'cluster/migrations/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { process: 'readonly', console: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: ['actors/**/machine.ts', 'actors/**/state.ts', 'actors/**/protocol.ts', 'actors/**/policies/**/*.ts', 'actors/kernel/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: IO_LIBRARIES, patterns: [{ group: ['@mikro-orm/*'], message: 'Pure domain code must not touch the database.' }] }],
      'no-restricted-globals': ['error', { name: 'Date', message: 'Time is passed in (`now`), never read.' }],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'Randomness is passed in.' }],
    },
  },
);
