/**
 * Regenerates the field table of docs/trainer-config.md from the zod schema (`configReference()`);
 * the prose around it is kept. The config test fails when the file and the schema drift apart.
 *
 *     pnpm docs:config
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configReference } from '../src/trainer/config-reference.js';

const path = fileURLToPath(new URL('../../../docs/trainer-config.md', import.meta.url));
const lines = readFileSync(path, 'utf8').split('\n');
const first = lines.findIndex((l) => l.startsWith('| field |'));
if (first < 0) throw new Error(`${path}: no field table to replace; expected a Markdown table whose header starts with '| field |'`);
let last = first;
while (last + 1 < lines.length && lines[last + 1]!.startsWith('|')) last++;
lines.splice(first, last - first + 1, ...configReference().trimEnd().split('\n'));
writeFileSync(path, lines.join('\n'));
console.log(`wrote ${path}`);
