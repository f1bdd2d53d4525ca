// ESLint flat config: recommended JS and TypeScript rules; formatting is Prettier's job.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', '.data/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  // Layers point one way (docs/architecture.md): infra -> core; handlers -> core;
  // local -> handlers, core; cli -> local, handlers, core. Imports within a folder are
  // relative ('./'), across folders through the package.json "imports" aliases ('#core/…').
  ...layer('core', ['handlers', 'infra', 'local', 'cli', 'test', 'bench']),
  ...layer('handlers', ['infra', 'local', 'cli', 'test', 'bench']),
  ...layer('infra', ['handlers', 'local', 'cli', 'test', 'bench']),
  ...layer('local', ['infra', 'cli', 'test', 'bench']),
  ...layer('cli', ['infra', 'test', 'bench']),
  {
    // vendor/: CommonJS packages s3rver require()s in place of two of its dependencies (vendor/README.md)
    files: ['vendor/**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);

/**
 * The rule for one layer: no import of a layer above it (by alias or by a path that climbs
 * out of the folder), and no relative path that climbs ('../'): use an alias instead.
 */
function layer(folder, forbidden) {
  const message = `${folder}/ must not import from ${forbidden.join(', ')} (layers point one way: docs/architecture.md).`;
  return [
    {
      files: [`${folder}/**/*.ts`],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            patterns: [
              { regex: `^#(${forbidden.join('|')})/`, message },
              {
                regex: '^\\.\\./',
                message: "Climbing relative import: use the package.json alias ('#core/…', '#local/…').",
              },
            ],
          },
        ],
      },
    },
  ];
}
