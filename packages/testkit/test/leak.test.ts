// Nothing leaks when the runner itself dies: the 'exit' hook and the signal handlers
// SIGKILL the process groups that were not cleaned up.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireHaproxy } from '../src/index.ts';
import { useTestkit } from '../src/vitest.ts';

useTestkit();

beforeAll(() => {
  requireHaproxy();
});

const FIXTURE = fileURLToPath(new URL('./fixtures/abandoned-runner.ts', import.meta.url));

/** Alive = exists and is not a zombie waiting for a (re)parent to reap it. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw e;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function waitDead(pid: number): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return !isAlive(pid);
}

function bindOnce(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve()));
  });
}

/**
 * The port can be bound again. Test files run in parallel and take ephemeral
 * ports from the kernel too, so another file may briefly hold this one: retry
 * on EADDRINUSE for a bounded time before concluding it leaked.
 */
async function bindAgain(port: number): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await bindOnce(port);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || i >= 60) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

async function runAbandoned(
  mode: 'exit' | 'signal',
): Promise<{ pid: number; port: number; code: number | null }> {
  const child = spawn(process.execPath, [FIXTURE, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    out += c;
    if (mode === 'signal' && out.includes('\n')) child.kill('SIGTERM');
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    err += c;
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  const m = /^(\d+) (\d+)\n/.exec(out);
  if (!m) throw new Error(`fixture printed no pid (exit ${String(code)}):\n${out}\n${err}`);
  return { pid: Number(m[1]), port: Number(m[2]), code };
}

describe('last-resort cleanup', () => {
  it('kills the proxy when the runner exits without cleaning up', async () => {
    const { pid, port, code } = await runAbandoned('exit');
    expect(code).toBe(3);
    try {
      expect(await waitDead(pid)).toBe(true);
      await bindAgain(port);
    } finally {
      if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
  });

  it('kills the proxy when the runner is terminated by SIGTERM', async () => {
    const { pid, port } = await runAbandoned('signal');
    try {
      expect(await waitDead(pid)).toBe(true);
      await bindAgain(port);
    } finally {
      if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
  });
});
