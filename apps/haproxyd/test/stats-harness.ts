// What the stats page tests share: a configuration with a stats page, a backend whose
// server is up and one whose server is down (health checks on), and the stats socket.
import net from 'node:net';
import { join } from 'node:path';
import { type Binary, freePorts, startHttpBackend, startProxy, tempDir, writeConfig } from '@hap/testkit';

/**
 * One command on a unix stats socket. The proxies are "ready" once their ports accept, which
 * comes before the stats socket is bound (HAProxy binds it with the listeners, haproxyd a
 * moment later): a socket not there yet is waited for, up to 5 s.
 */
export async function cli(path: string, text: string): Promise<string> {
  const until = Date.now() + 5000;
  for (;;) {
    try {
      return await cliOnce(path, text);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ECONNREFUSED') || Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** One command, with a `<<` payload (its trailing blank ended, then an empty line) when given. */
export function cliWithPayload(path: string, command: string, payload?: string): Promise<string> {
  return cli(path, payload === undefined ? command : `${command} <<\n${payload.trimEnd()}\n`);
}

function cliOnce(path: string, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(path);
    let got = '';
    s.on('error', reject);
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
    });
    s.on('close', () => resolve(got));
    s.write(`${text}\n`);
  });
}

/** `status` of `<px>/<sv>` in a `show stat` CSV. */
export function statusOf(csv: string, px: string, sv: string): string | undefined {
  const lines = csv.split('\n');
  const names = lines[0]!.slice(2).split(',');
  const at = names.indexOf('status');
  for (const l of lines.slice(1)) {
    const c = l.split(',');
    if (c[0] === px && c[1] === sv) return c[at];
  }
  return undefined;
}

export async function waitUntil(what: string, test: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // the stats socket may not be there yet right after start
    if (await test().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export interface Setup {
  port: number;
  sock: string;
  stop: () => Promise<unknown>;
}

/** A listen with a stats page, a backend whose server is up and one whose server is down. */
export async function start(
  binary: Binary,
  statsLines: readonly string[],
  extra: readonly string[] = [],
): Promise<Setup> {
  const ok = await startHttpBackend((_req, res) => {
    res.writeHead(200, { 'content-length': 2 });
    res.end('ok');
  });
  const [port, dead] = (await freePorts(2)) as [number, number];
  const sock = join(tempDir(), `${binary}.sock`);
  const cfg = writeConfig(
    [
      'global',
      `  stats socket ${sock} level admin`,
      'defaults',
      '  mode http',
      '  timeout connect 500ms',
      '  timeout client 5s',
      '  timeout server 5s',
      'listen stats',
      `  bind 127.0.0.1:${port}`,
      ...statsLines.map((l) => `  ${l}`),
      ...extra.map((l) => `  ${l}`),
      'backend app',
      `  server web1 127.0.0.1:${ok.port} check inter 200ms`,
      'backend gone',
      `  server dead1 127.0.0.1:${dead} check inter 200ms`,
      '',
    ].join('\n'),
    `${binary}-stats-page.cfg`,
  );
  const proxy = await startProxy(binary, cfg, { readyPorts: [port] });
  await waitUntil('the checks to settle', async () => {
    const csv = await cli(sock, 'show stat');
    return statusOf(csv, 'app', 'web1') === 'UP' && statusOf(csv, 'gone', 'dead1') === 'DOWN';
  });
  return { port, sock, stop: () => proxy.stop() };
}

/**
 * A configuration file for `binary` with a stats socket and an HTTP defaults section
 * (timeouts connect 1s, client and server `timeout`), then `defaults` more lines of that
 * section and the `sections` written for the port it gets.
 */
export async function httpConfigWithSocket(
  binary: Binary,
  name: string,
  defaults: readonly string[],
  sections: (port: number) => readonly string[],
  timeout = '5s',
): Promise<{ port: number; sock: string; cfg: string }> {
  const [port] = (await freePorts(1)) as [number];
  const sock = join(tempDir(), `${binary}-${name}.sock`);
  const lines = [
    'global',
    `  stats socket ${sock} level admin`,
    'defaults',
    '  mode http',
    '  timeout connect 1s',
    `  timeout client ${timeout}`,
    `  timeout server ${timeout}`,
    ...defaults.map((l) => `  ${l}`),
    ...sections(port),
    '',
  ];
  return { port, sock, cfg: writeConfig(lines.join('\n'), `${binary}-${name}.cfg`) };
}
