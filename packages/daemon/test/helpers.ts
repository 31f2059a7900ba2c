import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CHILD = fileURLToPath(new URL('./fixtures/child.ts', import.meta.url));

export interface Report {
  ok: boolean;
  code?: string;
  errno?: number | null;
  message?: string;
  [key: string]: unknown;
}

export interface Running {
  proc: ChildProcess;
  /** The first JSON line the child printed. */
  report: Promise<Report>;
  exited: Promise<[number | null, NodeJS.Signals | null]>;
  stderr: () => string;
}

const running = new Set<ChildProcess>();

/** Starts the fixture in `mode`, optionally through `bash -c '<prelude>; exec ...'`. */
export function runChild(mode: string, args: unknown, prelude?: string): Running {
  const argv = [CHILD, mode, JSON.stringify(args)];
  const proc =
    prelude === undefined
      ? spawn(process.execPath, argv, { stdio: ['pipe', 'pipe', 'pipe'] })
      : spawn('bash', ['-c', `${prelude}; exec "$0" "$@"`, process.execPath, ...argv], {
          stdio: ['pipe', 'pipe', 'pipe'],
        });
  running.add(proc);
  const exited = once(proc, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  let stdout = '';
  let stderr = '';
  proc.stderr?.setEncoding('utf8');
  proc.stderr?.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const report = new Promise<Report>((resolve, reject) => {
    proc.stdout?.setEncoding('utf8');
    proc.stdout?.on('data', (chunk: string) => {
      stdout += chunk;
      const nl = stdout.indexOf('\n');
      if (nl !== -1) resolve(JSON.parse(stdout.slice(0, nl)) as Report);
    });
    exited.then(([code, signal]) => {
      reject(new Error(`child ${mode} exited (${code ?? signal}) without a report; stderr: ${stderr}`));
    });
  });
  report.catch(() => {});
  return { proc, report, exited, stderr: () => stderr };
}

/** Ends the child by closing its stdin (the fixtures then exit 0). */
export async function finish(child: Running): Promise<void> {
  child.proc.stdin?.end();
  await child.exited;
}

/** Kills whatever is still running. For afterEach. */
export function killAll(): void {
  for (const proc of running) {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  }
  running.clear();
}

/** Fields of /proc/<pid>/stat after the command name: [state, ppid, pgrp, session, ...]. */
export function procStat(text: string): string[] {
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export const isRoot = process.getuid?.() === 0;

/** CAP_SYS_RESOURCE (bit 24) in this process's effective set: needed to raise a hard limit. */
export const canRaiseHardLimit = (() => {
  try {
    const line = readFileSync('/proc/self/status', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('CapEff:'));
    return line !== undefined && (BigInt(`0x${line.slice(7).trim()}`) & (1n << 24n)) !== 0n;
  } catch {
    return false;
  }
})();
