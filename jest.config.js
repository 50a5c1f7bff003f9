// Path aliases live in tsconfig.json and are read from there, not repeated here.
const { readFileSync } = require('node:fs');
const ts = require('typescript');

const { config } = ts.readConfigFile('tsconfig.json', (p) => readFileSync(p, 'utf8'));
const moduleNameMapper = {};
for (const [alias, [target]] of Object.entries(config.compilerOptions.paths)) {
  const key = '^' + alias.replace('/*', '/(.*)') + '$';
  moduleNameMapper[key] = '<rootDir>/' + target.replace(/^\.\//, '').replace('/*', '/$1');
}

/**
 * Packages published only as ES modules (Nest 12 and some of its dependencies). Node runs them
 * through require(esm), but Jest's module system does not, so they are compiled to CommonJS
 * like the project's own files. Found by reading node_modules, so no list goes stale.
 */
function esmPackages() {
  const { readdirSync, existsSync } = require('node:fs');
  const { join } = require('node:path');
  const root = join(__dirname, 'node_modules');
  const names = [];
  for (const entry of readdirSync(root)) {
    const dirs = entry.startsWith('@') ? readdirSync(join(root, entry)).map((n) => `${entry}/${n}`) : [entry];
    for (const name of dirs) {
      const manifest = join(root, name, 'package.json');
      if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).type === 'module') {
        names.push(name);
      }
    }
  }
  return names;
}
const ESM_PACKAGES = esmPackages().map((n) => n.replace(/[.+]/g, '\\$&'));

const swc = [
  '@swc/jest',
  {
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  // Nest 12 ships ES modules; Jest's module system still needs CommonJS, so those packages are
  // compiled like the project's own files (the result is cached after the first run).
  transform: { '^.+\\.(ts|js|mjs)$': swc },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_PACKAGES.join('|')})/)`],
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper,
};

module.exports = {
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  // End-to-end suites start real servers with their own databases; unit tests finish far sooner.
  testTimeout: 60000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts', '<rootDir>/test/unit/**/*.spec.ts'],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'],
      slowTestThreshold: 30,
      // Each suite starts a real server with its own database; on a busy 2-core machine that can take seconds.
      testTimeout: 60000,
    },
    {
      ...common,
      displayName: 'browser',
      testMatch: ['<rootDir>/test/browser/**/*.browser-spec.ts'],
      testTimeout: 120000,
    },
    {
      ...common,
      // Not a test suite: `npm run screenshots` writes screenshots/ for reviewers.
      displayName: 'screenshots',
      testMatch: ['<rootDir>/test/screenshots/**/*.screenshots.ts'],
      testTimeout: 300000,
    },
  ],
};
