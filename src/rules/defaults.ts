// Where Kestrel's own default rules live: rules/ at the package root (resolved from this
// module, so it works from any working directory, in src/ under vitest and in dist/).
import { fileURLToPath } from 'node:url';

export function defaultRulesPath(): string {
  return fileURLToPath(new URL('../../rules/', import.meta.url));
}
