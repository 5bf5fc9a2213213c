// The bundle budget: the console's JS + CSS, gzipped, must stay within 200 KB
// (issue 13). Pure so that tests/unit can check it; scripts/size.mjs applies it
// to dist/ after each build.
import { gzipSync } from 'node:zlib';

export const BUDGET_BYTES = 200 * 1024;

/** Files that count: JavaScript and CSS (not HTML, images, fonts). */
export const counts = (name) => /\.(m?js|css)$/.test(name);

/**
 * files: [{name, data (Buffer)}] → {total, files: [{name, raw, gzip}], over}
 * where sizes are bytes, gzip at level 9, and over = total > budget.
 */
export function measure(files, budget = BUDGET_BYTES) {
  const rows = files
    .filter((f) => counts(f.name))
    .map((f) => ({ name: f.name, raw: f.data.length, gzip: gzipSync(f.data, { level: 9 }).length }));
  const total = rows.reduce((s, r) => s + r.gzip, 0);
  return { total, files: rows, over: total > budget };
}

export const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
