// Tests run TypeScript sources directly through swc (fast, no type check; `pnpm typecheck` does that).
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: '<rootDir>/test/jest-environment.cjs',
  setupFilesAfterEnv: ['<rootDir>/test/jest-esm-packages.cjs'],
  roots: ['<rootDir>/packages', '<rootDir>/test'],
  testMatch: ['**/test/**/*.test.ts'],
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  extensionsToTreatAsEsm: [],
  moduleNameMapper: {
    '^@mcsc/(graph|core|train|infer)$': '<rootDir>/packages/$1/src/index.ts',
    '^@mcsc/(graph|infer)/(node|web|browser)$': '<rootDir>/packages/$1/src/$2.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testTimeout: 120000,
  maxWorkers: 2,
};
