// Test tiers by folder (docs/architecture.md). @middy/* is ESM-only, so ts-jest transforms it too (CJS jest cannot require it).
const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.[tj]sx?$': ['ts-jest', { tsconfig: 'tsconfig.jest.json' }] },
  transformIgnorePatterns: ['/node_modules/(?!@middy/)'],
  setupFiles: ['<rootDir>/test/helpers/setup-env.ts'],
};

module.exports = {
  projects: [
    { ...common, displayName: 'unit', roots: ['<rootDir>/test/unit'] },
    { ...common, displayName: 'infra', roots: ['<rootDir>/test/infra'] },
    { ...common, displayName: 'integration', roots: ['<rootDir>/test/integration'] },
    // Local mode end to end: real servers on loopback, the CLI, a headless browser.
    { ...common, displayName: 'local', roots: ['<rootDir>/test/local'] },
    // Reads what the other suites logged (.test-logs/); run after them.
    { ...common, displayName: 'log-scan', roots: ['<rootDir>/test/log-scan'] },
  ],
};
