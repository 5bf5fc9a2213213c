// Print the gzipped size of the built console's JS + CSS and fail (exit 1)
// past the budget. Usage: node scripts/size.mjs dist
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

import { BUDGET_BYTES, kb, measure } from './budget.js';

function walk(dir) {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

const dist = process.argv[2] || 'dist';
const files = walk(dist).map((p) => ({ name: relative(dist, p), data: readFileSync(p) }));
const m = measure(files);
for (const f of m.files) console.log(`  ${f.name}: ${kb(f.raw)} (${kb(f.gzip)} gzipped)`);
console.log(`console: JS+CSS ${kb(m.total)} gzipped (budget ${kb(BUDGET_BYTES)})`);
if (m.over) {
  console.error(`console: over the ${kb(BUDGET_BYTES)} budget by ${kb(m.total - BUDGET_BYTES)}`);
  process.exit(1);
}
