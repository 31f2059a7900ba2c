// The backend: one nginx worker on the load core, serving a small page at / and a
// 1 MiB file at /1m.bin from a throw-away directory, with its own config, pid file
// and logs there (the machine's nginx service, if any, is left alone).
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, start, stop, waitForPort } from './procs.mjs';

export const SMALL_BODY = 'haproxyd bench: a small page served by nginx, 64 bytes long......\n';
export const BIG_BYTES = 1024 * 1024;

/**
 * @param {string} dir  a private directory (made world-readable: nginx workers may run as nobody)
 * @param {{ cpu: number | null, fdLimit: number }} opts
 */
export async function startNginx(dir, opts) {
  const www = join(dir, 'www');
  mkdirSync(www, { recursive: true });
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  chmodSync(dir, 0o755);
  writeFileSync(join(www, 'index.html'), SMALL_BODY);
  const big = Buffer.alloc(BIG_BYTES);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7919) & 0xff;
  writeFileSync(join(www, '1m.bin'), big);
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  const t = join(dir, 'tmp');
  writeFileSync(
    conf,
    [
      'worker_processes 1;',
      `worker_rlimit_nofile ${opts.fdLimit};`,
      `error_log ${join(dir, 'nginx-error.log')} warn;`,
      `pid ${join(dir, 'nginx.pid')};`,
      `events { worker_connections ${Math.max(1024, opts.fdLimit - 100)}; }`,
      'http {',
      '  access_log off;',
      '  default_type application/octet-stream;',
      '  sendfile on;',
      '  keepalive_requests 10000000;',
      '  keepalive_timeout 120s;',
      '  client_header_timeout 120s;',
      `  client_body_temp_path ${t}/body; proxy_temp_path ${t}/proxy; fastcgi_temp_path ${t}/fastcgi;`,
      `  uwsgi_temp_path ${t}/uwsgi; scgi_temp_path ${t}/scgi;`,
      `  server { listen 127.0.0.1:${port} backlog=4096; root ${www}; }`,
      '}',
      '',
    ].join('\n'),
  );
  const proc = start(
    'nginx',
    ['nginx', '-p', dir, '-e', join(dir, 'nginx-error.log'), '-c', conf, '-g', 'daemon off;'],
    { cpu: opts.cpu, fdLimit: opts.fdLimit },
  );
  if (!(await waitForPort(port, proc))) {
    await stop(proc);
    throw new Error(`nginx did not start: ${proc.output().slice(-2000)}`);
  }
  return { port, proc, stop: () => stop(proc) };
}
