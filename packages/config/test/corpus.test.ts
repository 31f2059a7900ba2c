// Differential corpus for the configuration checker: for every case under
// test/corpus/, `haproxyd -c` must reach the same valid/invalid verdict as the
// real `haproxy -c`, and report its first located alert on the same file:line.
// Goldens come from test/corpus/record.mjs (`node record.mjs` rewrites expected.json).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, normalize, relative, resolve } from 'node:path';
import { type Diagnostic, loadConfig } from '@hap/config';
import { describe, expect, it } from 'vitest';
import {
  type CaseHeader,
  CORPUS_DIR,
  caseArgv,
  caseEnv,
  EXPECTED_FILE,
  type Expected,
  haproxyAvailable,
  listCases,
  readHeader,
  runHaproxy,
} from './corpus/record.mjs';

const expected = JSON.parse(readFileSync(EXPECTED_FILE, 'utf8')) as Record<string, Expected>;
const cases = listCases();
const liveHaproxy = haproxyAvailable();
const HAPROXYD_BIN = resolve(CORPUS_DIR, '../../../../bin/haproxyd');

/** Every `-f <path>` of a case, as absolute paths (the case file first). */
function caseFiles(rel: string, header: CaseHeader): string[] {
  const files = [join(CORPUS_DIR, rel)];
  for (let i = 0; i < header.args.length; i++) {
    if (header.args[i] !== '-f') throw new Error(`${rel}: only '-f <path>' is supported in '# args:'`);
    const p = header.args[++i];
    if (p === undefined) throw new Error(`${rel}: '-f' without a path in '# args:'`);
    files.push(resolve(CORPUS_DIR, p));
  }
  return files;
}

/** A diagnostic's file as a normalized path relative to the corpus folder. */
function corpusRelative(file: string): string {
  return normalize(relative(CORPUS_DIR, resolve(CORPUS_DIR, file)));
}

function show(diags: readonly Diagnostic[]): string {
  if (diags.length === 0) return '(no diagnostics)';
  return diags.map((d) => `  ${d.level} ${d.code} ${d.file ?? '-'}:${d.line ?? '-'} ${d.message}`).join('\n');
}

describe('configuration corpus: bookkeeping', () => {
  it('has at least 180 cases, all recorded in expected.json', () => {
    expect(cases.length).toBeGreaterThanOrEqual(180);
    expect(Object.keys(expected).sort()).toEqual([...cases].sort());
  });

  it('every case has a description and a valid haproxyd marker', () => {
    for (const rel of cases) {
      const h = readHeader(rel);
      expect(h.desc, `${rel}: '# desc:' line`).not.toBe('');
      const marker = h.haproxyd === 'same' || h.unsupported !== null || /^extension \S/.test(h.haproxyd);
      expect(marker, `${rel}: '# haproxyd: ${h.haproxyd}'`).toBe(true);
    }
  });

  it('contains both valid and invalid verdicts in every group', () => {
    for (const g of ['tokenizer', 'conditions', 'multi', 'sections', 'semantics']) {
      const verdicts = new Set(cases.filter((c) => c.startsWith(`${g}/`)).map((c) => expected[c]?.valid));
      expect([...verdicts].sort(), g).toEqual([false, true]);
    }
  });
});

describe('configuration corpus: haproxyd agrees with HAProxy 2.6', () => {
  for (const rel of cases) {
    const header = readHeader(rel);
    it(`${rel}: ${header.desc}`, () => {
      const exp = expected[rel];
      if (exp === undefined) throw new Error(`${rel} is not in expected.json: run 'node record.mjs'`);

      // (a) the golden still describes the installed HAProxy.
      if (liveHaproxy) {
        expect(runHaproxy(rel), `stale golden for ${rel}: re-run record.mjs`).toEqual(exp);
      }

      // (b) haproxyd's checker, in process.
      const r = loadConfig(caseFiles(rel, header), { env: caseEnv(header), cwd: CORPUS_DIR });
      const diags = r.diagnostics;
      const alerts = diags.filter((d) => d.level === 'alert');
      if (header.unsupported !== null) {
        const kw = header.unsupported;
        expect(r.ok, `haproxyd must reject '${kw}'\n${show(diags)}`).toBe(false);
        const named = alerts.some(
          (d) => d.message.includes(kw) && d.message.includes('does not support yet'),
        );
        expect(named, `an alert naming '${kw}' and 'does not support yet'\n${show(diags)}`).toBe(true);
        return;
      }
      if (header.haproxyd.startsWith('extension')) {
        // an intended difference: HAProxy 2.6 refuses it, haproxyd accepts it (reason in the header)
        expect(exp.valid, 'an extension case must be one HAProxy 2.6 refuses').toBe(false);
        expect(r.ok, `haproxyd accepts this extension\n${show(diags)}`).toBe(true);
        return;
      }
      expect(r.ok, `verdict (HAProxy: ${exp.valid ? 'valid' : 'invalid'})\n${show(diags)}`).toBe(exp.valid);
      expect(alerts.length > 0, `alerts present iff invalid\n${show(diags)}`).toBe(!exp.valid);
      if (!exp.valid && exp.alertLocations.length > 0) {
        // line by line: every place HAProxy alerts about, and no other, in the same order
        const mine = [
          ...new Set(
            alerts
              .filter((d) => d.line !== undefined)
              .map((d) => `${corpusRelative(d.file ?? '?')}:${d.line}`),
          ),
        ];
        const theirs = [...new Set(exp.alertLocations.map((l) => normalize(l)))];
        expect(mine, `alert locations (HAProxy: ${exp.alerts.join(' | ')})\n${show(diags)}`).toEqual(theirs);
      }
      if (!exp.valid && exp.firstAlertLine !== null && exp.firstAlertFile !== null) {
        const first = alerts.find((d) => d.line !== undefined);
        const where = first
          ? `${first.file === undefined ? '?' : corpusRelative(first.file)}:${first.line}`
          : 'none';
        expect(where, `first located alert (HAProxy: ${exp.alerts[0] ?? ''})\n${show(diags)}`).toBe(
          `${normalize(exp.firstAlertFile)}:${exp.firstAlertLine}`,
        );
      }
    });
  }
});

/** Cases also run through the real command line, exactly like `haproxy -c`. */
const BINARY_CASES = [
  'valid/base.cfg',
  'valid/server_options.cfg',
  'tokenizer/env_list_star_splits.cfg',
  'multi/dir_lexical_order.cfg',
  'conditions/elif_chain.cfg',
  'invalid/unknown_proxy_keyword.cfg',
  'tokenizer/unterminated_double_quote.cfg',
  'conditions/alert_fails.cfg',
  'multi/error_in_second_file.cfg',
  'semantics/use_backend_missing.cfg',
];

function runBinary(rel: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const header = readHeader(rel);
  return new Promise((done) => {
    execFile(
      HAPROXYD_BIN,
      caseArgv(rel, header),
      { cwd: CORPUS_DIR, env: caseEnv(header), timeout: 20_000 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
        done({ code, stdout, stderr });
      },
    );
  });
}

describe('configuration corpus: bin/haproxyd -c', () => {
  for (const rel of BINARY_CASES) {
    it(`bin/haproxyd -c -f ${rel}`, async () => {
      const exp = expected[rel];
      if (exp === undefined) throw new Error(`${rel} is not in expected.json`);
      expect(exp.exit === 0 || exp.exit === 1, `${rel}: pick binary cases HAProxy exits 0 or 1 on`).toBe(
        true,
      );
      const { code, stdout, stderr } = await runBinary(rel);
      const out = `stdout:\n${stdout}\nstderr:\n${stderr}`;
      expect(code, out).toBe(exp.exit);
      if (exp.valid) {
        expect(stdout, out).toContain('Configuration file is valid');
      } else {
        expect(stdout, out).not.toContain('Configuration file is valid');
        if (exp.firstAlertLine !== null && exp.firstAlertFile !== null) {
          expect(stderr, out).toContain(`${exp.firstAlertFile}:${exp.firstAlertLine}]`);
        }
      }
    });
  }
});
