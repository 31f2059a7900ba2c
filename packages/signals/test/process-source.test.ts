import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const CHILD = fileURLToPath(new URL('./fixtures/child.ts', import.meta.url));

let child: ChildProcess | null = null;

afterEach(() => {
  if (child !== null && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = null;
});

/** Resolves with the next stdout line, collecting everything in `lines`. */
function lineReader(proc: ChildProcess) {
  const lines: string[] = [];
  const waiters: Array<(line: string) => void> = [];
  let buffered = '';
  proc.stdout?.setEncoding('utf8');
  proc.stdout?.on('data', (chunk: string) => {
    buffered += chunk;
    for (let nl = buffered.indexOf('\n'); nl !== -1; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      lines.push(line);
      waiters.shift()?.(line);
    }
  });
  let read = 0;
  return {
    lines,
    next(): Promise<string> {
      const index = read++;
      const line = lines[index];
      if (line !== undefined) return Promise.resolve(line);
      return new Promise((resolve) => waiters.push(resolve));
    },
  };
}

describe('SignalQueue over the real process', () => {
  it('queues real signals in a child process and runs the handlers from the loop', async () => {
    const proc = spawn(process.execPath, [CHILD], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let stderr = '';
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (chunk: string) => {
      stderr += chunk;
    });
    const exited = once(proc, 'exit');
    const out = lineReader(proc);

    expect(await out.next()).toBe('ready');
    proc.kill('SIGHUP');
    expect(await out.next()).toBe('handled SIGHUP count=1 inDelivery=false');
    proc.kill('SIGUSR2');
    expect(await out.next()).toBe('handled SIGUSR2 count=1 inDelivery=false');
    expect(await out.next()).toBe('survived SIGPIPE');
    proc.kill('SIGTERM');
    expect(await out.next()).toBe('handled SIGTERM, closing');

    const [code, signal] = await exited;
    expect(stderr).toBe('');
    expect({ code, signal }).toEqual({ code: 0, signal: null });
  });
});
