/**
 * Regenerates the two tables of docs/gradients.md — the gradient rules of @mcsc/graph and @mcsc/core
 * (`listGradientRules()`) and the ops without one (`NO_GRADIENT`) — between their marker comments; the
 * prose around them is kept (gradients-doc.ts). packages/graph/test/gradients-doc.test.ts fails when
 * the file and the registry drift apart.
 *
 *     pnpm docs:gradients
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fillGradientTables } from './gradients-doc.js';

const path = fileURLToPath(new URL('../../../docs/gradients.md', import.meta.url));
writeFileSync(path, fillGradientTables(readFileSync(path, 'utf8'), path));
console.log(`wrote ${path}`);
