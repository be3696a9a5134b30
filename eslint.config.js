// @ts-check
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

/**
 * Layering (ARCHITECTURE.md §2): parser ← transport ← transaction ← dialog ← apps.
 * Each layer lists the packages it must never import.
 */
const layers = [
  {
    files: ['packages/config/**'],
    forbid: ['parser', 'transport', 'transaction', 'dialog', 'edge', 'core'],
  },
  // operations helpers (metrics, HEP, admin HTTP): a leaf beside the stack, only the parser's types
  { files: ['packages/ops/**'], forbid: ['transport', 'transaction', 'dialog', 'edge', 'core'] },
  // digest auth shared by edge and core: a leaf beside the stack, only the parser below it
  { files: ['packages/auth/**'], forbid: ['transport', 'transaction', 'dialog', 'edge', 'core'] },
  // the platform's Redis clients: a leaf beside the stack, used by dialog, edge and core
  {
    files: ['packages/redis/**'],
    forbid: [
      'parser',
      'transport',
      'transaction',
      'dialog',
      'auth',
      'ops',
      'config',
      'edge',
      'core',
    ],
  },
  { files: ['packages/parser/**'], forbid: ['transport', 'transaction', 'dialog', 'edge', 'core'] },
  { files: ['packages/transport/**'], forbid: ['transaction', 'dialog', 'edge', 'core'] },
  { files: ['packages/transaction/**'], forbid: ['dialog', 'edge', 'core'] },
  { files: ['packages/dialog/**'], forbid: ['edge', 'core'] },
  // The edge is stateless by construction: it must not know about dialogs.
  { files: ['apps/edge/**'], forbid: ['dialog', 'core'] },
  { files: ['apps/core/**'], forbid: ['edge'] },
];

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '**/.turbo/**',
      '.tools/**',
      'infra/**',
      'coverage/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: ['*.js', '*.mjs', 'scripts/*.mjs'],
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
    },
  },
  ...layers.map(({ files, forbid }) => ({
    files,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: forbid.map((name) => ({
            group: [`@strata/${name}`, `@strata/${name}/*`],
            message: `Layering: this package must not import @strata/${name} (dependencies point down only, see ARCHITECTURE.md §2).`,
          })),
        },
      ],
    },
  })),
  {
    // Tests, benchmarks and scripts may print.
    files: ['**/test/**', '**/bench/**', 'scripts/**', '**/*.config.*'],
    rules: {
      'no-console': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  prettier,
);
