// Config templates: `${NAME}` substitution and temp files removed at cleanup.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { isLiveTempDir, registerTempDir } from './registry.ts';

export type TemplateVars = Readonly<Record<string, string | number>>;

const PLACEHOLDER = /\$\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Replaces every `${NAME}` in `template` by `vars[NAME]`. `$${NAME}` is an escape that
 * leaves a literal `${NAME}` in the output (for HAProxy's own environment variables).
 * Throws listing every placeholder without a value.
 */
export function renderConfig(template: string, vars: TemplateVars): string {
  const missing = new Set<string>();
  const out = template.replace(PLACEHOLDER, (_m, escaped: string | undefined, name: string | undefined) => {
    if (escaped !== undefined) return '${' + escaped + '}';
    const key = name ?? '';
    if (!Object.hasOwn(vars, key)) {
      missing.add(key);
      return '';
    }
    return String(vars[key]);
  });
  if (missing.size > 0) {
    throw new Error(`renderConfig: no value for ${[...missing].map((n) => '${' + n + '}').join(', ')}`);
  }
  return out;
}

let currentDir: string | null = null;
let counter = 0;

/**
 * The temp directory of the current test (created on first use, removed by
 * cleanupAll(); the next call after a cleanup creates a new one).
 */
export function tempDir(): string {
  if (currentDir === null || !isLiveTempDir(currentDir)) {
    const dir = mkdtempSync(join(tmpdir(), 'hap-testkit-'));
    currentDir = dir;
    registerTempDir(dir);
  }
  return currentDir;
}

/**
 * Writes `text` to a file in the temp dir and returns its absolute path. `name`
 * (a plain file name) defaults to `haproxy-N.cfg`.
 */
export function writeConfig(text: string, name?: string): string {
  counter += 1;
  const file = name ?? `haproxy-${counter}.cfg`;
  if (isAbsolute(file) || file.includes('/'))
    throw new Error(`writeConfig: name must be a plain file name: ${file}`);
  const path = join(tempDir(), file);
  writeFileSync(path, text);
  return path;
}
