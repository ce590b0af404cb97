/**
 * `npm run bench:readme`: puts the table of bench/results.json into README.md, between the
 * `<!-- bench:begin -->` and `<!-- bench:end -->` markers, so the README always shows the last run.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { toMarkdown, type Results } from './main.js';

/** The markers around the generated block. */
export const BEGIN = '<!-- bench:begin (npm run bench:readme writes this part from bench/results.json) -->';
export const END = '<!-- bench:end -->';

/** The README text with the block between the markers replaced by `table`. */
export function withTable(readme: string, table: string): string {
  const a = readme.indexOf(BEGIN);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error(`README.md has no '${BEGIN}' ... '${END}' block`);
  return `${readme.slice(0, a + BEGIN.length)}\n${table}\n${readme.slice(b)}`;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const readmeUrl = new URL('../../README.md', import.meta.url);
  const results = JSON.parse(readFileSync(new URL('../../bench/results.json', import.meta.url), 'utf8')) as Results;
  writeFileSync(readmeUrl, withTable(readFileSync(readmeUrl, 'utf8'), toMarkdown(results)));
  console.log(`README.md: the table of ${results.date} written`);
}
