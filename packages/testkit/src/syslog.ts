// A UDP syslog receiver for log tests (`log 127.0.0.1:PORT local0`).
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { register } from './registry.ts';

export interface SyslogSink {
  readonly host: string;
  readonly port: number;
  /** `host:port`, as written on a `log` line. */
  readonly addr: string;
  /** Every datagram received so far, decoded as UTF-8, trailing newline removed. */
  lines(): string[];
  /** Resolves with the first line (received before or after the call) matching `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}

export interface SyslogSinkOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
}

/** Listens on a free UDP port and collects syslog datagrams. */
export async function startSyslogSink(opts: SyslogSinkOptions = {}): Promise<SyslogSink> {
  const host = opts.host ?? '127.0.0.1';
  const socket = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
  const received: string[] = [];
  const waiters = new Set<{ pattern: RegExp; resolve: (line: string) => void }>();
  const matches = (pattern: RegExp, line: string) => {
    pattern.lastIndex = 0;
    return pattern.test(line);
  };
  socket.on('message', (msg) => {
    const line = msg.toString('utf8').replace(/\r?\n$/, '');
    received.push(line);
    for (const w of waiters) {
      if (matches(w.pattern, line)) {
        waiters.delete(w);
        w.resolve(line);
      }
    }
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address: host, port: 0 }, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  socket.on('error', () => {});
  const port = socket.address().port;
  let closing: Promise<void> | null = null;
  let unregister: () => void = () => {};
  const close = () => {
    closing ??= new Promise<void>((resolve) => socket.close(() => resolve())).finally(() => unregister());
    return closing;
  };
  unregister = register({ name: `syslog sink on ${host}:${port}`, close });
  return {
    host,
    port,
    addr: `${host}:${port}`,
    lines: () => [...received],
    waitFor(pattern, timeoutMs = 10_000) {
      const found = received.find((l) => matches(pattern, l));
      if (found !== undefined) return Promise.resolve(found);
      return new Promise<string>((resolve, reject) => {
        const waiter = {
          pattern,
          resolve: (line: string) => {
            clearTimeout(timer);
            resolve(line);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(
            new Error(
              `syslog sink ${host}:${port}: nothing matching ${String(pattern)} within ${timeoutMs} ms; ` +
                `received ${received.length} line(s):\n${received.join('\n')}`,
            ),
          );
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    close,
  };
}
