// `-c` runs: the configuration check, with HAProxy's diagnostics parsed.
import { type Binary, binaryPath } from './binaries.ts';
import { type Diagnostic, parseDiagnostics } from './diagnostics.ts';
import { type ExitStatus, type SpawnOptions, spawnManaged } from './process.ts';

export interface CheckConfigOptions extends SpawnOptions {
  /** Arguments appended after `-c -f file...`. */
  readonly extraArgs?: readonly string[];
  /** Kill the check and throw after this long (default 30 s). */
  readonly timeoutMs?: number;
}

export interface CheckResult {
  /** Exit code (null when killed by a signal). */
  readonly code: number | null;
  readonly signal: ExitStatus['signal'];
  readonly stdout: string;
  readonly stderr: string;
  /** Every diagnostic, stderr first, then stdout, in order. */
  readonly diagnostics: readonly Diagnostic[];
  readonly alerts: readonly Diagnostic[];
  readonly warnings: readonly Diagnostic[];
  readonly notices: readonly Diagnostic[];
}

/** Runs `<binary> -c -f file1 -f file2 ... extraArgs` and parses what it printed. */
export async function checkConfig(
  binary: Binary,
  files: readonly string[],
  opts: CheckConfigOptions = {},
): Promise<CheckResult> {
  const args = ['-c', ...files.flatMap((f) => ['-f', f]), ...(opts.extraArgs ?? [])];
  const handle = await spawnManaged(`${binary} -c`, binaryPath(binary), args, opts);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  let status: ExitStatus;
  try {
    status = await handle.waitForExit(timeoutMs);
  } catch (e) {
    await handle.stop();
    throw new Error(`${binary} -c did not finish within ${timeoutMs} ms; stderr:\n${handle.stderr()}`, {
      cause: e,
    });
  }
  await handle.stop();
  const diagnostics = [...parseDiagnostics(handle.stderr()), ...parseDiagnostics(handle.stdout())];
  return {
    code: status.code,
    signal: status.signal,
    stdout: handle.stdout(),
    stderr: handle.stderr(),
    diagnostics,
    alerts: diagnostics.filter((d) => d.level === 'ALERT'),
    warnings: diagnostics.filter((d) => d.level === 'WARNING'),
    notices: diagnostics.filter((d) => d.level === 'NOTICE'),
  };
}
