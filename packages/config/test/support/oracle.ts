// Helpers shared by the hand-written tests: the real HAProxy 2.6 as an oracle,
// and an out-of-process runner for inputs that might hang the tokenizer.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the oracle (the probes run it with an exact, PATH-less environment). */
export const HAPROXY_BIN = resolveBin(process.env['HAPROXY_BIN'] ?? 'haproxy');

function resolveBin(name: string): string {
  if (name.includes('/')) return name;
  const dirs = [...(process.env['PATH'] ?? '').split(':'), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const d of dirs) {
    const full = join(d || '.', name);
    if (existsSync(full)) return full;
  }
  return name;
}

let haproxyChecked: string | undefined;

/**
 * Throws (so the calling test fails, never skips) when the real haproxy is not
 * installed or is not a 2.6 release.
 */
export function requireHaproxy(): void {
  if (haproxyChecked === undefined) {
    const r = spawnSync(HAPROXY_BIN, ['-v'], { encoding: 'latin1' });
    if (r.error || r.status !== 0) {
      throw new Error(
        `the real HAProxy 2.6 is required as the oracle of these tests but '${HAPROXY_BIN} -v' failed: ${
          r.error?.message ?? r.stderr
        } (install haproxy 2.6 or set HAPROXY_BIN)`,
      );
    }
    haproxyChecked = r.stdout;
  }
  if (!/HAProxy version 2\.6\./.test(haproxyChecked)) {
    throw new Error(
      `the oracle must be HAProxy 2.6, '${HAPROXY_BIN} -v' says: ${haproxyChecked.split('\n')[0]}`,
    );
  }
}

/** Features listed after '+' by `haproxy -vv`. */
export function haproxyFeatures(): Set<string> {
  requireHaproxy();
  const r = spawnSync(HAPROXY_BIN, ['-vv'], { encoding: 'latin1' });
  const line = r.stdout.split('\n').find((l) => l.startsWith('Feature list :'));
  if (!line) throw new Error("'haproxy -vv' printed no 'Feature list' line");
  return new Set(
    line
      .slice('Feature list :'.length)
      .trim()
      .split(/\s+/)
      .filter((w) => w.startsWith('+'))
      .map((w) => w.slice(1)),
  );
}

export type CcOutcome = { kind: 'true' } | { kind: 'false' } | { kind: 'error'; message: string };

/**
 * `haproxy -cc <expr>` with exactly `env` as the environment. HAProxy 2.6
 * exits 0 when the condition is true, 1 when false and 2 on an error.
 */
export function haproxyCc(expr: string, env: Record<string, string>): CcOutcome {
  requireHaproxy();
  const r = spawnSync(HAPROXY_BIN, ['-cc', expr], { encoding: 'latin1', env, timeout: 20_000 });
  if (r.error) throw new Error(`haproxy -cc ${JSON.stringify(expr)} failed to run: ${r.error.message}`);
  if (r.status === 0) return { kind: 'true' };
  if (r.status === 1) return { kind: 'false' };
  const out = `${r.stdout}${r.stderr}`;
  const m = /Failed to evaluate condition: (.*)/.exec(out);
  return { kind: 'error', message: m ? m[1]!.trim() : `exit ${r.status}: ${out.trim()}` };
}

export type NoticeOutcome = { kind: 'word'; word: string } | { kind: 'alert'; message: string };

/**
 * What the real tokenizer makes of `.notice <words>` on line 2 of a file whose
 * line 1 is `global` (HAProxy 2.6.12 mis-handles `${VAR-default}` on the very
 * first line of a file, so the probe never uses line 1). With exactly one
 * resulting word the notice echoes it verbatim; otherwise the first alert is
 * returned.
 */
export function haproxyNotice(words: string, env: Record<string, string> = {}): NoticeOutcome {
  requireHaproxy();
  const dir = mkdtempSync(join(tmpdir(), 'hapcfg-lex-'));
  try {
    const file = join(dir, 'n.cfg');
    writeFileSync(file, `global\n.notice ${words}\n`, 'latin1');
    const r = spawnSync(HAPROXY_BIN, ['-c', '-f', file], { encoding: 'latin1', env, timeout: 20_000 });
    if (r.error) throw new Error(`haproxy -c failed to run: ${r.error.message}`);
    const out = `${r.stdout}${r.stderr}`;
    const marker = `parsing [${file}:2]: `;
    // one record per message: a line starting with '[LEVEL]' and its continuation lines
    const records = out.split(/\n(?=\[[A-Z]+\] )/);
    const rec = records.find((x) => x.includes(marker));
    if (rec === undefined) throw new Error(`unexpected haproxy output for .notice ${words}: ${out}`);
    const rest = rec.slice(rec.indexOf(marker) + marker.length);
    if (rec.startsWith('[NOTICE]')) {
      // "'<word>'." possibly spanning lines when the word holds a LF
      const end = rest.lastIndexOf(`'.`);
      return { kind: 'word', word: rest.slice(1, end) };
    }
    return { kind: 'alert', message: rest.trimEnd() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes a throw-away configuration and runs `haproxy -c` on it. */
export function haproxyCheck(
  text: string,
  env: Record<string, string> = {},
): { status: number; output: string } {
  requireHaproxy();
  const dir = mkdtempSync(join(tmpdir(), 'hapcfg-chk-'));
  try {
    const file = join(dir, 'haproxy.cfg');
    writeFileSync(file, text, 'latin1');
    const r = spawnSync(HAPROXY_BIN, ['-c', '-f', file], {
      encoding: 'latin1',
      env,
      timeout: 20_000,
      cwd: dir,
    });
    if (r.error) throw new Error(`haproxy -c failed to run: ${r.error.message}`);
    return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}`.replaceAll(file, 'haproxy.cfg') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface ProbeCase {
  fn: 'tokenizeLine' | 'parseConfig';
  text: string;
  env: Record<string, string>;
}

export type ProbeResult =
  | { status: 'done'; results: unknown[] }
  | { status: 'hang'; index: number; case: ProbeCase }
  | { status: 'crash'; index: number; case: ProbeCase | undefined; detail: string };

const PROBE = fileURLToPath(new URL('./probe.ts', import.meta.url));

/**
 * Runs the cases in a separate Node process (native type stripping), so that
 * an endless loop fails the test instead of hanging the test runner. The child
 * prints "#<index>" before each case, which tells which case did not finish.
 */
export function runIsolated(cases: readonly ProbeCase[], timeoutMs = 20_000): ProbeResult {
  const r = spawnSync(process.execPath, ['--max-old-space-size=512', PROBE], {
    input: JSON.stringify(cases),
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 256 * 1024 * 1024,
  });
  const lines = (r.stdout ?? '').split('\n').filter((l) => l !== '');
  let last = -1;
  let results: unknown[] | undefined;
  for (const l of lines) {
    if (l.startsWith('#')) last = Number(l.slice(1));
    else if (l.startsWith('=')) results = JSON.parse(l.slice(1)) as unknown[];
  }
  if (r.status === 0 && results) return { status: 'done', results };
  const timedOut = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT' || r.signal !== null;
  if (timedOut || /heap out of memory/i.test(r.stderr ?? '')) {
    return { status: 'hang', index: last, case: cases[last]! };
  }
  return { status: 'crash', index: last, case: cases[last], detail: (r.stderr ?? '').slice(0, 2000) };
}
