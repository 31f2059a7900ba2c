// The runtime API: a command table the application fills, and the stats sockets that
// serve it (unix, abstract unix, TCP). It knows nothing of proxies: `show stat` and the
// others are registered by the application. The built-ins need nothing but the session.
import { chmod, chown, lstat, unlink } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { type CliAddress, formatAddress, parseAddress } from './address.ts';
import { type Command, type CommandSpec, CommandTable, type Level } from './commands.ts';
import { CliSession, type SessionHost } from './session.ts';

export interface RuntimeApiOptions {
  /**
   * HAProxy 2.6 lists every command in `help` and in the unknown-command answer whatever
   * the session's level; by default only the commands the level allows are listed.
   */
  readonly helpListsAllLevels?: boolean;
  /** Longest request (command line and payload) in bytes; longer closes the session. Default 16384 (tune.bufsize). */
  readonly maxRequest?: number;
}

export interface ListenOptions {
  /** `level` of the `stats socket` line. Default operator, as HAProxy. */
  readonly level?: Level;
  /** `stats timeout` in ms: an idle session is closed. Default 10 s. */
  readonly timeout?: number;
  /** `stats maxconn`: sessions beyond it are refused (HAProxy lets them wait). Default 10. */
  readonly maxconn?: number;
  /** `mode`, `uid`, `gid` of a unix socket, applied once it exists. */
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
  /** Builds the server instead of node:net's createServer (an inherited socket, a test double…). */
  readonly createServer?: (onConnection: (socket: Socket) => void) => Server;
}

export interface CliListener {
  /** As `show cli sockets` prints it: `unix@/run/haproxy.sock`, `ipv4@127.0.0.1:9999`. */
  readonly address: string;
  readonly level: Level;
  readonly server: Server;
  /** Stops accepting, ends its sessions, removes a unix socket file. */
  close(): Promise<void>;
}

const DEFAULT_TIMEOUT = 10_000;

/** Parses a `set timeout cli` delay (seconds unless suffixed us/ms/s/m/h/d) into whole seconds. */
function parseDelaySeconds(s: string): number | null {
  const m = /^(\d+)(us|ms|s|m|h|d)?$/.exec(s);
  if (!m) return null;
  const n = Number(m[1]);
  const factor: Record<string, number> = { us: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600, d: 86400 };
  return Math.floor(n * (factor[m[2] ?? 's'] ?? 1));
}

export class RuntimeApi implements SessionHost {
  readonly table = new CommandTable();
  readonly helpListsAllLevels: boolean;
  private readonly maxRequest: number;
  private readonly listeners = new Set<CliListener>();
  private readonly sessions = new Set<Socket>();

  constructor(opts: RuntimeApiOptions = {}) {
    this.helpListsAllLevels = opts.helpListsAllLevels ?? false;
    this.maxRequest = opts.maxRequest ?? 16384;
    this.registerBuiltins();
  }

  /** Adds a command to the table. */
  register(spec: CommandSpec): void {
    this.table.add(spec);
  }

  /** Every registered command, built-ins included, in registration order. */
  commands(): readonly Command[] {
    return this.table.list();
  }

  sockets(): readonly { address: string; level: Level }[] {
    return [...this.listeners].map((l) => ({ address: l.address, level: l.level }));
  }

  private registerBuiltins(): void {
    // help, prompt and quit are handled by the session and always listed last
    this.register({
      words: ['show', 'cli', 'level'],
      usage: 'show cli level',
      help: 'print the level of this CLI session',
      handler: (_args, ctx) => `${ctx.level}\n`,
    });
    this.register({
      words: ['show', 'cli', 'sockets'],
      usage: 'show cli sockets',
      help: 'list the CLI sockets and their levels',
      handler: () =>
        `# socket lvl processes\n${this.sockets()
          .map((s) => `${s.address} ${s.level} all\n`)
          .join('')}`,
    });
    // the session lowers its level itself; these rows are for help and the suggestions
    this.register({
      words: ['operator'],
      usage: 'operator',
      help: 'lower the level of this CLI session to operator',
      handler: () => '',
    });
    this.register({
      words: ['user'],
      usage: 'user',
      help: 'lower the level of this CLI session to user',
      handler: () => '',
    });
    this.register({ words: ['expert-mode'], handler: () => '' });
    this.register({ words: ['experimental-mode'], handler: () => '' });
    this.register({
      words: ['set', 'timeout'],
      usage: 'set timeout [cli] <delay>',
      help: "change this session's idle timeout",
      handler: (args, ctx) => {
        if (args[2] !== 'cli') return "'set timeout' only supports 'cli'.\n";
        if (!args[3]) return 'Expects an integer value.\n';
        const secs = parseDelaySeconds(args[3]);
        if (secs === null || secs < 1) return 'Invalid timeout value.\n';
        ctx.setTimeout(secs * 1000);
        return '';
      },
    });
  }

  /** Serves the CLI on `address` (see parseAddress). */
  async listen(address: string, opts: ListenOptions = {}): Promise<CliListener> {
    const addr = parseAddress(address);
    const level = opts.level ?? 'operator';
    const timeout = opts.timeout ?? DEFAULT_TIMEOUT;
    let shown = formatAddress(addr);
    const own = new Set<Socket>();
    const onConnection = (socket: Socket) => {
      own.add(socket);
      socket.once('close', () => own.delete(socket));
      this.serve(socket, level, shown, timeout);
    };
    const server = opts.createServer
      ? opts.createServer(onConnection)
      : createServer({ allowHalfOpen: true }, onConnection);
    server.maxConnections = opts.maxconn ?? 10;
    if (addr.kind === 'unix') await removeStaleSocket(addr.path);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      const done = () => {
        server.off('error', reject);
        resolve();
      };
      if (addr.kind === 'tcp') server.listen({ host: addr.host, port: addr.port }, done);
      else server.listen(addr.kind === 'unix' ? addr.path : `\0${addr.name}`, done);
    });
    server.on('error', () => {});
    if (addr.kind === 'tcp') {
      const bound = server.address();
      if (bound && typeof bound === 'object')
        shown = formatAddress({ ...addr, port: bound.port } as CliAddress);
    }
    if (addr.kind === 'unix') {
      if (opts.mode !== undefined) await chmod(addr.path, opts.mode);
      if (opts.uid !== undefined || opts.gid !== undefined)
        await chown(addr.path, opts.uid ?? -1, opts.gid ?? -1);
    }
    const listener: CliListener = {
      address: shown,
      level,
      server,
      close: async () => {
        if (!this.listeners.delete(listener)) return;
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const s of own) s.destroy();
        await closed;
        if (addr.kind === 'unix') await unlink(addr.path).catch(() => {});
      },
    };
    this.listeners.add(listener);
    return listener;
  }

  private serve(socket: Socket, level: Level, address: string, timeout: number): void {
    this.sessions.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => this.sessions.delete(socket));
    socket.setTimeout(timeout);
    socket.on('timeout', () => socket.destroySoon());
    const session = new CliSession(this, {
      level,
      address,
      maxRequest: this.maxRequest,
      write: (text) => {
        if (!socket.destroyed && socket.writable) socket.write(text);
      },
      end: () => socket.destroySoon(),
      setTimeout: (ms) => socket.setTimeout(ms),
    });
    socket.on('data', (chunk: Buffer) => session.receive(chunk));
    socket.on('end', () => session.finish());
  }

  /**
   * Runs `text` as a one-shot session at `level` would (commands separated by `;` or line
   * feeds, each answer followed by an empty line) and returns what it would print.
   */
  execute(text: string, level: Level = 'admin'): Promise<string> {
    return new Promise((resolve) => {
      let out = '';
      const session = new CliSession(this, {
        level,
        address: 'internal',
        maxRequest: this.maxRequest,
        write: (t) => {
          out += t;
        },
        end: () => resolve(out),
        setTimeout: () => {},
      });
      session.receive(text);
      session.finish();
    });
  }

  /** Closes every listener and every open session. */
  async close(): Promise<void> {
    for (const s of this.sessions) s.destroy();
    await Promise.all([...this.listeners].map((l) => l.close()));
  }
}

/** HAProxy replaces an existing socket file; anything else at that path is an error. */
async function removeStaleSocket(path: string): Promise<void> {
  try {
    const st = await lstat(path);
    if (!st.isSocket()) throw new Error(`runtime-api: ${path} exists and is not a socket`);
    await unlink(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}
