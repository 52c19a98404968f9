import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.local/**'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      'no-console': 'error',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { module: 'writable', require: 'readonly', process: 'readonly' } },
  },
  {
    // The sandbox console's page script runs in the browser.
    files: ['local/console/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: {
        document: 'readonly',
        fetch: 'readonly',
        setInterval: 'readonly',
        JSON: 'readonly',
        Date: 'readonly',
      },
    },
  },
  {
    // CommonJS: the local host's fixture apps (as compiled function apps are), and the module the
    // bundle takes in place of a dependency.
    files: [
      'test/local/host/fixtures/**/*.js',
      'local/bench/hello-app/**/*.js',
      'scripts/bundle/**/*.js',
    ],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Tests, commands and the local product talk to a terminal on purpose.
    files: ['test/**/*.ts', 'scripts/**/*.ts', 'local/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
);
