#!/usr/bin/env node
// Records the verdict of the real HAProxy (`haproxy -c`) for every case of the
// differential configuration corpus, into expected.json next to this script.
//
// Which files are cases: every `*.cfg` file placed DIRECTLY in one of the group
// folders (valid/, invalid/, tokenizer/, conditions/, multi/, sections/,
// semantics/) whose name does not start with `_`. Anything in a subfolder (the
// `*.parts/` folders of multi-file cases) or named `_*.cfg` is a secondary file,
// only ever loaded through a case's `# args:` line or a directory argument.
//
// Header of a case (leading `#` comment lines, `key: value`):
//   # desc: what the case exercises
//   # haproxyd: same | unsupported <keyword> | extension <reason>
//   (extension: haproxyd accepts what 2.6 refuses, on purpose; the reason says why)
//   # env: NAME=value NAME2= NAME3="two words"   (the ONLY variables set, besides PATH)
//   # args: -f other.cfg -f some.parts/          (appended to `-c -f <case>`)
// Both tools run with cwd = this folder, so relative paths resolve against it.
//
// Usage: node record.mjs [--check]   (--check compares with expected.json, writes nothing)
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const CORPUS_DIR = dirname(fileURLToPath(import.meta.url));
export const GROUPS = ['valid', 'invalid', 'tokenizer', 'conditions', 'multi', 'sections', 'semantics'];
export const EXPECTED_FILE = join(CORPUS_DIR, 'expected.json');

/** Relative paths (from the corpus folder) of every case, sorted. */
export function listCases() {
  const out = [];
  for (const g of GROUPS) {
    let names;
    try {
      names = readdirSync(join(CORPUS_DIR, g));
    } catch {
      continue;
    }
    for (const n of names.sort()) {
      if (!n.endsWith('.cfg') || n.startsWith('_')) continue;
      if (!statSync(join(CORPUS_DIR, g, n)).isFile()) continue;
      out.push(`${g}/${n}`);
    }
  }
  return out;
}

/** Splits `A=1 B= C="x y"` into an object; double quotes group a value with spaces. */
export function parseEnv(text) {
  const env = {};
  const re = /([A-Za-z_][A-Za-z0-9_]*)=(?:"([^"]*)"|(\S*))/g;
  for (const m of text.matchAll(re)) env[m[1]] = m[2] ?? m[3] ?? '';
  return env;
}

/** Reads the header comment block of a case. */
export function readHeader(rel) {
  const text = readFileSync(join(CORPUS_DIR, rel), 'utf8');
  const h = { desc: '', haproxyd: 'same', unsupported: null, env: {}, args: [] };
  for (const line of text.split('\n')) {
    const m = /^#\s*(desc|haproxyd|env|args):\s?(.*)$/.exec(line);
    if (!m) {
      if (line.startsWith('#')) continue;
      break;
    }
    const [, key, value] = m;
    if (key === 'desc') h.desc = value.trim();
    else if (key === 'haproxyd') {
      h.haproxyd = value.trim();
      const u = /^unsupported\s+(\S+)/.exec(h.haproxyd);
      if (u) h.unsupported = u[1];
    } else if (key === 'env') h.env = parseEnv(value);
    else if (key === 'args') h.args = value.trim().split(/\s+/).filter(Boolean);
  }
  return h;
}

/** The argv (after the program name) both tools get for a case. */
export function caseArgv(rel, header) {
  return ['-c', '-f', rel, ...header.args];
}

/** The environment a case runs with: PATH plus the case's own variables, nothing else. */
export function caseEnv(header) {
  return { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/bin', ...header.env };
}

const LINE_RE = /^\[(ALERT|WARNING|NOTICE|DIAG)\]\s+\(\d+\) : (.*)$/;
// `parsing [file:line] : msg`, `[file:line] : msg`, `Parsing [file:line]: msg`; some messages
// carry the prefix twice (`[f:l] : parsing [f:l] : msg`), REPEAT_RE strips the second one.
const WHERE_RE = /^(?:config\s*:\s*)?(?:[Pp]arsing )?\[([^\]]*):(\d+)\]\s?: ?(.*)$/;
const REPEAT_RE = /^(?:[Pp]arsing )?\[[^\]]*:\d+\]\s?: ?/;

/** Turns HAProxy's stderr into the recorded shape (pids stripped). */
export function summarize(status, stderr) {
  // `status` is the exit code, or the signal name when HAProxy crashed (then: invalid).
  const alerts = [];
  let warnings = 0;
  let firstAlertLine = null;
  let firstAlertFile = null;
  const alertLocations = [];
  for (const raw of stderr.split('\n')) {
    const m = LINE_RE.exec(raw);
    if (!m) continue;
    const [, level, rest] = m;
    if (level === 'WARNING') warnings++;
    if (level !== 'ALERT') continue;
    const w = WHERE_RE.exec(rest);
    if (w) {
      alerts.push(w[3].replace(REPEAT_RE, ''));
      alertLocations.push(`${w[1]}:${w[2]}`);
      if (firstAlertLine === null) {
        firstAlertFile = w[1];
        firstAlertLine = Number(w[2]);
      }
    } else {
      alerts.push(rest.replace(/^config\s*:\s*/, ''));
    }
  }
  // 0: valid; 2: valid but nothing to listen on ("will not start (no listener)"); 1: invalid.
  return {
    valid: status === 0 || status === 2,
    exit: status,
    firstAlertLine,
    firstAlertFile,
    alertLocations,
    alerts,
    warnings,
  };
}

export function haproxyAvailable() {
  try {
    execFileSync('haproxy', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Runs the real HAProxy on one case. */
export function runHaproxy(rel) {
  const header = readHeader(rel);
  const r = spawnSync('haproxy', caseArgv(rel, header), {
    cwd: CORPUS_DIR,
    env: caseEnv(header),
    encoding: 'utf8',
    timeout: 20_000,
  });
  if (r.error) throw r.error;
  return summarize(r.status ?? r.signal ?? 'unknown', r.stderr ?? '');
}

function main() {
  const check = process.argv.includes('--check');
  const cases = listCases();
  const result = {};
  for (const rel of cases) result[rel] = runHaproxy(rel);
  if (check) {
    const old = JSON.parse(readFileSync(EXPECTED_FILE, 'utf8'));
    let bad = 0;
    for (const rel of new Set([...Object.keys(old), ...cases])) {
      if (JSON.stringify(old[rel]) !== JSON.stringify(result[rel])) {
        bad++;
        console.log(`differs: ${rel}`);
      }
    }
    console.log(`${cases.length} cases, ${bad} differ`);
    process.exitCode = bad ? 1 : 0;
    return;
  }
  writeFileSync(EXPECTED_FILE, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`${cases.length} cases recorded into ${EXPECTED_FILE}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
