// @ts-check
// ESLint flat config (npm run lint): the recommended JavaScript and typescript-eslint rules over
// src/, test/, bench/ and scripts/. Syntactic rules only (no type information), to keep it fast:
// npm run typecheck does the type checking.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores(['dist/', 'build/', 'node_modules/', 'native/', 'src/generated/', 'coverage/']),
  {
    files: ['**/*.{js,mjs,cjs,ts,mts,cts}'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { ...globals.node },
    },
    // An eslint-disable comment that no longer suppresses anything is an error: exceptions stay few.
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
);
