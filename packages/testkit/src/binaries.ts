// Where the two programs under comparison live.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Binary = 'haproxy' | 'haproxyd';

let root: string | null = null;

/** The monorepo root: the nearest ancestor of this package holding pnpm-workspace.yaml. */
export function repoRoot(): string {
  if (root !== null) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) {
      root = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('testkit: cannot find the repository root (pnpm-workspace.yaml)');
    dir = parent;
  }
}

/**
 * The executable for `binary`: `haproxy` from PATH (or $HAPROXY_BIN), `haproxyd` is
 * `<repo>/bin/haproxyd` (or $HAPROXYD_BIN).
 */
export function binaryPath(binary: Binary): string {
  if (binary === 'haproxy') return process.env['HAPROXY_BIN'] || 'haproxy';
  if (binary === 'haproxyd') return process.env['HAPROXYD_BIN'] || join(repoRoot(), 'bin', 'haproxyd');
  throw new Error(`testkit: unknown binary ${String(binary)} (expected 'haproxy' or 'haproxyd')`);
}

export interface HaproxyInfo {
  readonly available: boolean;
  /** e.g. "2.6.12-1+deb12u4"; null when not available. */
  readonly version: string | null;
  /** The first line of `haproxy -v`, or why it could not run. */
  readonly detail: string;
}

const cache = new Map<string, HaproxyInfo>();

/** Whether the real HAProxy can be run, and its version (cached per executable path). */
export function haproxyAvailable(): HaproxyInfo {
  const bin = binaryPath('haproxy');
  const known = cache.get(bin);
  if (known) return known;
  let info: HaproxyInfo;
  const r = spawnSync(bin, ['-v'], { encoding: 'utf8', timeout: 10_000 });
  if (r.error || r.status !== 0) {
    const why = r.error ? r.error.message : `exit status ${String(r.status)}: ${r.stderr.trim()}`;
    info = { available: false, version: null, detail: `cannot run '${bin} -v': ${why}` };
  } else {
    const first = r.stdout.split('\n')[0] ?? '';
    const m = /version\s+(\S+)/i.exec(first);
    info = { available: true, version: m?.[1] ?? null, detail: first.trim() };
  }
  cache.set(bin, info);
  return info;
}

export interface RequireHaproxyOptions {
  /** Version prefix required (default '2.6', the reference); null accepts any version. */
  readonly version?: string | null;
}

/**
 * Throws a clear error when the real HAProxy is missing (or not the reference version),
 * so that differential tests fail loudly instead of being skipped.
 */
export function requireHaproxy(opts: RequireHaproxyOptions = {}): HaproxyInfo {
  const info = haproxyAvailable();
  if (!info.available) {
    throw new Error(
      `The real HAProxy is required by this test but is not available (${info.detail}). ` +
        `Install the Debian package (apt-get install haproxy; scripts/test.sh does it) or set HAPROXY_BIN.`,
    );
  }
  const want = opts.version === undefined ? '2.6' : opts.version;
  if (want !== null && !(info.version ?? '').startsWith(want)) {
    throw new Error(`This test needs HAProxy ${want}.x as its reference, found: ${info.detail}`);
  }
  return info;
}
