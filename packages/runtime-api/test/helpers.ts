// Talking to a CLI socket the way scripts do: one-shot (write, read until the server
// closes) and scripted sessions (write, wait, write …, recording every byte and when the
// server closed).
import { spawn, spawnSync } from 'node:child_process';
import { connect, type Socket } from 'node:net';

export type Target = string | { host: string; port: number };

function open(target: Target): Socket {
  return typeof target === 'string' ? connect(target) : connect(target.port, target.host);
}

/** Sends `text` and resolves with everything received until the server closes. */
export function oneShot(target: Target, text: string, { halfClose = false } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = open(target);
    const chunks: Buffer[] = [];
    s.on('connect', () => {
      s.write(text);
      if (halfClose) s.end();
    });
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    s.on('error', reject);
    s.setTimeout(10_000, () => s.destroy(new Error(`no answer to ${JSON.stringify(text)}`)));
  });
}

/** A step of a scripted session: text to send, or a pause in ms. */
export type Step = string | number;

/** Runs `steps` on one connection; resolves with what came back and how long the connection lived. */
export function session(
  target: Target,
  steps: readonly Step[],
  waitClose = 5_000,
): Promise<{ out: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const s = open(target);
    const t0 = Date.now();
    let out = '';
    const guard = setTimeout(() => s.destroy(), waitClose);
    s.on('data', (c: Buffer) => {
      out += c.toString('utf8');
    });
    s.on('close', () => {
      clearTimeout(guard);
      resolve({ out, ms: Date.now() - t0 });
    });
    s.on('error', reject);
    s.on('connect', async () => {
      for (const step of steps) {
        if (typeof step === 'number') await new Promise((r) => setTimeout(r, step));
        else if (!s.destroyed) s.write(step);
      }
    });
  });
}

/** Whether `socat` can be run. */
export function haveSocat(): boolean {
  return spawnSync('socat', ['-V'], { encoding: 'utf8' }).status === 0;
}

/** `echo text | socat - <address>`: socat sends, half-closes, prints what comes back (async: the server may be in this process). */
export function socat(address: string, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('socat', ['-t', '5', '-', address], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (c: Buffer) => {
      out += c.toString('utf8');
    });
    p.stderr.on('data', (c: Buffer) => {
      err += c.toString('utf8');
    });
    const timer = setTimeout(() => p.kill('SIGKILL'), 10_000);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`socat exited with ${String(code)}: ${err}`));
    });
    p.stdin.end(text);
  });
}
