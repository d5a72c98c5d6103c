// ESLint with typescript-eslint's type-aware rules, over everything tsconfig.json type-checks, and
// the plain JavaScript of the build, scripts and benchmarks. Run by the README's test command
// (scripts/test.sh) and by `npm run lint`.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.test-output/**', 'test/fixtures/**', '**/*.vsix'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // TypeScript itself reports undefined names
      'no-undef': 'off',
      // the engine loads some modules lazily with require() to keep its start fast
      '@typescript-eslint/no-require-imports': 'off',
      // an async function without await is how an interface that returns a promise is met
      '@typescript-eslint/require-await': 'off',
      // data from the Docker Engine API, JSON-RPC and JSON files is `any` until checked at the
      // boundary (valibot schemas, type guards); these rules would flag every use of it
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // messages deliberately show whatever a config or engine handed us (unknown values, a
      // Buffer's text), and promise chains pass on the engine's own error objects: these four
      // would ask for String(...) around each without catching a bug
      '@typescript-eslint/restrict-template-expressions': 'off',
      '@typescript-eslint/no-base-to-string': 'off',
      '@typescript-eslint/restrict-plus-operands': 'off',
      '@typescript-eslint/prefer-promise-reject-errors': 'off',
      // event handlers are passed as methods of objects that do not use `this`
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // tests stub and poke at internals on purpose
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // the vscode stub declares classes and interfaces of the same name, as vscode.d.ts does
    files: ['test/unit/stubs/vscode.ts'],
    rules: { '@typescript-eslint/no-unsafe-declaration-merging': 'off' },
  },
  {
    files: ['media/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['**/*.{js,mjs,cjs}'],
    ...tseslint.configs.disableTypeChecked,
  },
);
