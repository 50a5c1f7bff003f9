// Type-aware lint with zero warnings (`npm run lint` passes --max-warnings 0).
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'data/**', 'libs/db/src/generated/**', 'bench/results/**'],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', '*.mjs', 'scripts/*.mjs', 'test/support/*.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'off',
      curly: 'error',
      eqeqeq: ['error', 'always'],
      'object-shorthand': 'error',
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['../../libs/*', '../../../libs/*'], message: 'Use the @roster/* path aliases.' }] },
      ],
    },
  },
  {
    // The resource store (libs/db) owns SQL, transactions and the database types: the services
    // above it keep SCIM semantics only (docs/architecture.md, "The resource store"). No SQL string
    // either: apps/api/src/store-boundary.spec.ts checks these folders for statements.
    files: ['apps/api/src/users/**/*.ts', 'apps/api/src/groups/**/*.ts', 'apps/api/src/mcp/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['../../libs/*', '../../../libs/*'], message: 'Use the @roster/* path aliases.' },
            {
              group: ['@prisma/*', '**/generated/prisma/**', 'pg', '@electric-sql/*', 'pglite-prisma-adapter'],
              message: 'Only the resource store (libs/db) talks to the database.',
            },
          ],
          paths: [
            {
              name: '@roster/db',
              importNames: [
                'Prisma',
                'PrismaClient',
                'PrismaService',
                'SqlParams',
                'compileFilter',
                'compileSortKey',
                'compileMemberCondition',
              ],
              message: 'Only the resource store (libs/db) builds SQL and opens transactions; use its repositories.',
            },
          ],
        },
      ],
    },
  },
  {
    // Tests read loosely typed JSON responses; requiring a type for every field helps nobody.
    files: ['test/**/*.ts', '**/*.spec.ts', '**/*.e2e-spec.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // CommonJS configuration files.
    files: ['jest.config.js', 'test/support/*.js'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        module: 'writable',
        require: 'readonly',
        __dirname: 'readonly',
      },
    },
  },
  prettier,
);
