// A proxy (real HAProxy or haproxyd) running in the foreground until stopped.
import { type Binary, binaryPath } from './binaries.ts';
import { portsReady, type ReadyCheck } from './ports.ts';
import { type ProcessHandle, type SpawnOptions, spawnManaged } from './process.ts';

export interface StartProxyOptions extends SpawnOptions {
  /** Arguments appended after `<baseArgs> -f cfg...`. */
  readonly args?: readonly string[];
  /** Arguments before the `-f` options (default ['-db']: foreground, no background mode). */
  readonly baseArgs?: readonly string[];
  /** Ports that must be listening before the proxy counts as ready. */
  readonly readyPorts?: readonly number[];
  /** Host used by the 'connect' readiness check (default 127.0.0.1). */
  readonly readyHost?: string;
  /**
   * 'listen' (default on Linux): the ports are in LISTEN state in /proc/net/tcp{,6}, i.e.
   * the kernel accepts connections on them, without sending any traffic through the proxy.
   * 'connect': a TCP connection to each port succeeds (it is closed at once).
   */
  readonly readyCheck?: ReadyCheck;
  /** Default 10 s. */
  readonly readyTimeoutMs?: number;
}

export type ProxyHandle = ProcessHandle;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Starts `<binary> -db -f cfg [args]` in its own process group and waits until every
 * `readyPorts` port is ready. Rejects (with the process's stderr) if it exits first or is
 * not ready in time; the process is stopped in both cases.
 */
export async function startProxy(
  binary: Binary,
  cfg: string | readonly string[],
  opts: StartProxyOptions = {},
): Promise<ProxyHandle> {
  const files = typeof cfg === 'string' ? [cfg] : cfg;
  const args = [...(opts.baseArgs ?? ['-db']), ...files.flatMap((f) => ['-f', f]), ...(opts.args ?? [])];
  const handle = await spawnManaged(binary, binaryPath(binary), args, opts);
  const ports = opts.readyPorts ?? [];
  const timeoutMs = opts.readyTimeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  const how = opts.readyCheck ?? 'listen';
  const host = opts.readyHost ?? '127.0.0.1';
  for (let attempt = 0; ; attempt++) {
    if (handle.exitStatus() !== null) {
      const st = await handle.stop();
      throw new Error(
        `${binary} exited before it was ready (code ${String(st.code)}, signal ${String(st.signal)}); ` +
          `command: ${handle.command} ${args.join(' ')}\nstderr:\n${handle.stderr()}${handle.stdout()}`,
      );
    }
    if (await portsReady(host, ports, how)) {
      // One more look: a process that failed to bind may be on its way out.
      if (handle.exitStatus() === null) return handle;
      continue;
    }
    if (Date.now() > deadline) {
      await handle.stop();
      throw new Error(
        `${binary} was not ready within ${timeoutMs} ms (ports ${ports.join(', ')} via '${how}'); ` +
          `command: ${handle.command} ${args.join(' ')}\nstderr:\n${handle.stderr()}${handle.stdout()}`,
      );
    }
    await sleep(Math.min(10 + attempt * 5, 100));
  }
}
