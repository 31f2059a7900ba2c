// Child-process side of runIsolated() (see oracle.ts): reads cases as JSON on
// stdin, prints "#<index>" before running each one and "=<json results>" at the end.
import { readFileSync } from 'node:fs';
import { tokenizeLine } from '../../src/lexer.ts';
import { parseConfig } from '../../src/loader.ts';

interface ProbeCase {
  fn: 'tokenizeLine' | 'parseConfig';
  text: string;
  env: Record<string, string>;
}

const cases = JSON.parse(readFileSync(0, 'utf8')) as ProbeCase[];
const results: unknown[] = [];
for (let i = 0; i < cases.length; i++) {
  process.stdout.write(`#${i}\n`);
  const c = cases[i]!;
  if (c.fn === 'tokenizeLine') {
    results.push(tokenizeLine(c.text, { env: c.env, file: 'probe.cfg', line: 1, section: '' }));
  } else {
    const r = parseConfig(c.text, 'probe.cfg', { env: c.env, cwd: '/nonexistent' });
    results.push({ ok: r.ok, diagnostics: r.diagnostics });
  }
}
process.stdout.write(`=${JSON.stringify(results)}\n`);
