/** Unit, integration, infra and e2e tests; stand-ins are started once per run by the global setup. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j|mj)sx?$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  // middy and fauxqs are ESM-only: let swc turn them into CommonJS for jest.
  transformIgnorePatterns: ['/node_modules/(?!(@middy|fauxqs)/)'],
  globalSetup: '<rootDir>/test/support/global-setup.mjs',
  globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
  testTimeout: 60_000,
};
