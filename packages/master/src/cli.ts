// The master CLI (`-S <bind>[,<option>,<value>...]`): supervision of the processes and
// routing of runtime-API commands to one of them, with HAProxy 2.6's command names and
// prefixes:
//   @                 the master (also `@master`)
//   @<n>              the n-th current worker (1 = the first)
//   @!<pid>           any worker, current or leaving, by pid
// A prefix followed by a command routes that command only (`@1 show info`); alone it
// becomes the target of the next commands (`@1; show info; show stat`).
import { chmodSync, chownSync, lstatSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';

export type CliLevel = 'user' | 'operator' | 'admin';
const RANK: Record<CliLevel, number> = { user: 0, operator: 1, admin: 2 };

/** What the CLI needs from the master. */
export interface MasterCliHost {
  /** The `show proc` text (ends with its empty line). */
  showProc(): string;
  /** `show version` */
  version(): string;
  /** Starts a reload (SIGUSR2's effect). */
  reload(): void;
  /** The last reload failed: the prompt says `master[ReloadFailed]>`. */
  reloadFailed(): boolean;
  /** Current workers (relative numbers 1, 2 ...) and leaving ones. */
  workers(): ReadonlyArray<{ pid: number; leaving: boolean }>;
  /** Runs a command in a worker, resolving with its answer. */
  route(pid: number, cmd: string): Promise<string>;
}

/** One `-S` argument, parsed. */
export interface CliBind {
  /** `unix` path, `abns` name, or TCP host and port. */
  family: 'unix' | 'abns' | 'tcp';
  path: string;
  host: string;
  port: number;
  level: CliLevel;
  mode?: number;
  uid?: number;
  gid?: number;
}

/** Parses `-S <bind>[,<option>,<value>...]`; throws with a message on a wrong value. */
export function parseCliBind(arg: string): CliBind {
  const [addr = '', ...opts] = arg.split(',');
  const bind: CliBind = { family: 'unix', path: '', host: '', port: 0, level: 'admin' };
  if (addr.startsWith('unix@') || addr.startsWith('/') || addr.startsWith('./')) {
    bind.path = addr.startsWith('unix@') ? addr.slice(5) : addr;
  } else if (addr.startsWith('abns@')) {
    bind.family = 'abns';
    bind.path = addr.slice(5);
  } else {
    const text = addr.replace(/^(ipv4|ipv6|tcp|tcp4|tcp6)@/, '');
    const m = /^(?:\[([^\]]*)\]|([^:]*)):(\d+)$/.exec(text) ?? /^([^:]*):(\d+)$/.exec(text);
    const m6 = /^(.*):(\d+)$/.exec(text);
    if (m === null && m6 === null) throw new Error(`-S: cannot parse address '${addr}'`);
    bind.family = 'tcp';
    bind.host = m?.[1] ?? m?.[2] ?? m6?.[1] ?? '';
    bind.port = Number(m?.[3] ?? m6?.[2]);
    if (bind.port > 65535) throw new Error(`-S: invalid port in '${addr}'`);
  }
  if (bind.family !== 'tcp' && bind.path === '') throw new Error(`-S: missing socket path in '${arg}'`);
  for (let i = 0; i < opts.length; i += 2) {
    const name = opts[i]!;
    const value = opts[i + 1];
    if (value === undefined) throw new Error(`-S: option '${name}' expects a value`);
    switch (name) {
      case 'level':
        if (value !== 'user' && value !== 'operator' && value !== 'admin')
          throw new Error(`-S: level must be 'user', 'operator' or 'admin' (got '${value}')`);
        bind.level = value;
        break;
      case 'mode':
        if (!/^[0-7]+$/.test(value)) throw new Error(`-S: mode expects an octal number (got '${value}')`);
        bind.mode = Number.parseInt(value, 8);
        break;
      case 'uid':
      case 'gid':
        if (!/^\d+$/.test(value)) throw new Error(`-S: ${name} expects a number (got '${value}')`);
        bind[name] = Number(value);
        break;
      default:
        throw new Error(`-S: unsupported option '${name}'`);
    }
  }
  return bind;
}

interface HelpRow {
  syntax: string;
  help: string;
  level: CliLevel;
}

// names and syntax are HAProxy 2.6's; the descriptions are ours
const HELP: readonly HelpRow[] = [
  { syntax: '@!<pid>', help: 'run the command in the process with this pid', level: 'user' },
  { syntax: '@<relative pid>', help: 'run the command in the n-th current worker', level: 'user' },
  { syntax: '@master', help: 'run the command in the master', level: 'user' },
  { syntax: 'operator', help: 'lower this session to the operator level', level: 'user' },
  { syntax: 'reload', help: 'reload the configuration (as SIGUSR2 does)', level: 'operator' },
  { syntax: 'show cli level', help: "print this session's level", level: 'user' },
  { syntax: 'show proc', help: 'list the master and its worker processes', level: 'user' },
  { syntax: 'show version', help: 'print the version of this process', level: 'user' },
  { syntax: 'user', help: 'lower this session to the user level', level: 'user' },
  {
    syntax: 'help [<command>]',
    help: 'list the commands, or those starting with these words',
    level: 'user',
  },
  { syntax: 'prompt', help: 'switch the interactive mode (with a prompt) on or off', level: 'user' },
  { syntax: 'quit', help: 'close this session', level: 'user' },
];

function helpText(level: CliLevel, header: string, filter: string[] = []): string {
  const rows = HELP.filter(
    (r) =>
      RANK[r.level] <= RANK[level] &&
      (filter.length === 0 || filter.every((w, i) => r.syntax.split(' ')[i] === w)),
  );
  return `${header}\n${rows.map((r) => `  ${r.syntax.padEnd(40)}: ${r.help}\n`).join('')}`;
}

/** Splits a request line on unescaped `;`, trimming each command. */
export function splitCommands(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length) {
      cur += c + line[i + 1]!;
      i++;
    } else if (c === ';') {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  out.push(cur.trim());
  return out.filter((s) => s !== '');
}

type Target = 'master' | number;

class Session {
  private readonly host: MasterCliHost;
  private readonly socket: Socket;
  private level: CliLevel;
  private target: Target = 'master';
  private interactive = false;
  private buffer = '';
  private busy = false;
  private ended = false;
  private closed = false;

  constructor(host: MasterCliHost, socket: Socket, level: CliLevel) {
    this.host = host;
    this.socket = socket;
    this.level = level;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      if (this.buffer.length > 65536) this.close();
      else void this.pump();
    });
    socket.on('end', () => {
      this.ended = true;
      void this.pump();
    });
    socket.on('error', () => this.close());
    socket.on('close', () => {
      this.closed = true;
    });
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.end();
    this.socket.destroySoon();
  }

  private write(text: string): void {
    if (!this.closed && text !== '') this.socket.write(text);
  }

  private prompt(): string {
    const who =
      this.target === 'master'
        ? `master${this.host.reloadFailed() ? '[ReloadFailed]' : ''}`
        : `${this.target}`;
    return `${who}> `;
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (let nl = this.buffer.indexOf('\n'); nl >= 0 && !this.closed; nl = this.buffer.indexOf('\n')) {
        const line = this.buffer.slice(0, nl).replace(/\r$/, '');
        this.buffer = this.buffer.slice(nl + 1);
        const keep = await this.runLine(line);
        if (!keep) return this.close();
        if (this.interactive) this.write(this.prompt());
        else if (this.buffer.indexOf('\n') < 0) return this.close();
      }
      // a last request without its line feed is dropped when the client closes
      if (this.ended && !this.closed) this.close();
    } finally {
      this.busy = false;
    }
  }

  /** Runs one request line; false: the session ends. */
  private async runLine(line: string): Promise<boolean> {
    for (const cmd of splitCommands(line)) {
      const keep = await this.runOne(cmd);
      if (!keep) return false;
    }
    return true;
  }

  private resolve(prefix: string): Target | null {
    if (prefix === '' || prefix === 'master') return 'master';
    const workers = this.host.workers();
    if (prefix.startsWith('!')) {
      const pid = Number(prefix.slice(1));
      return workers.some((w) => w.pid === pid) ? pid : null;
    }
    if (!/^\d+$/.test(prefix)) return null;
    const current = workers.filter((w) => !w.leaving);
    return current[Number(prefix) - 1]?.pid ?? null;
  }

  private async runOne(cmd: string): Promise<boolean> {
    let target = this.target;
    let rest = cmd;
    if (cmd.startsWith('@')) {
      const sp = cmd.search(/\s/);
      const prefix = sp < 0 ? cmd.slice(1) : cmd.slice(1, sp);
      const t = this.resolve(prefix);
      if (t === null) {
        this.write(`Can't find the target PID matching the prefix '@${prefix}'\n`);
        return true;
      }
      rest = sp < 0 ? '' : cmd.slice(sp).trim();
      if (rest === '') {
        this.target = t;
        return true;
      }
      target = t;
    }
    if (target !== 'master') {
      // `prompt` and `quit` act on this session, wherever it points
      if (rest !== 'prompt' && rest !== 'quit') {
        if (!this.host.workers().some((w) => w.pid === target)) {
          this.write(`Can't find the target PID matching the prefix '@!${target}'\n`);
          return true;
        }
        this.write(await this.host.route(target, rest));
        return true;
      }
    }
    return this.master(rest);
  }

  private master(cmd: string): boolean {
    const words = cmd.split(/\s+/).filter((w) => w !== '');
    const is = (...w: string[]) => w.length === words.length && w.every((x, i) => words[i] === x);
    if (words.length === 0) return true;
    if (is('quit')) return false;
    if (is('prompt')) {
      this.interactive = !this.interactive;
      if (this.interactive) this.write('\n');
      return true;
    }
    if (words[0] === 'help') {
      this.write(
        `${helpText(this.level, 'The following commands are valid at this level:', words.slice(1))}\n`,
      );
      return true;
    }
    if (is('show', 'proc')) {
      this.write(this.host.showProc());
      return true;
    }
    if (is('show', 'version')) {
      this.write(`${this.host.version()}\n\n`);
      return true;
    }
    if (is('show', 'cli', 'level')) {
      this.write(`${this.level}\n\n`);
      return true;
    }
    if (is('operator') || is('user')) {
      const want = words[0] as CliLevel;
      if (RANK[want] <= RANK[this.level]) this.level = want;
      else this.write('Permission denied\n\n');
      return true;
    }
    if (is('reload')) {
      if (RANK[this.level] < RANK.operator) {
        this.write('Permission denied\n\n');
        return true;
      }
      this.host.reload();
      // HAProxy 2.6's master re-executes itself: the session ends with the reload
      return false;
    }
    this.write(
      `${helpText(this.level, 'Unknown command, but maybe one of the following ones is a better match:')}\n`,
    );
    return true;
  }
}

/** A listening master CLI socket. */
export interface MasterCliListener {
  readonly bind: CliBind;
  readonly server: Server;
  close(): Promise<void>;
}

/** Opens one `-S` socket. Rejects with the system's reason. */
export function listenMasterCli(host: MasterCliHost, bind: CliBind): Promise<MasterCliListener> {
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    new Session(host, socket, bind.level);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const done = () => {
      server.off('error', reject);
      if (bind.family === 'unix') {
        if (bind.uid !== undefined || bind.gid !== undefined)
          chownSync(bind.path, bind.uid ?? -1, bind.gid ?? -1);
        if (bind.mode !== undefined) chmodSync(bind.path, bind.mode);
      }
      resolve({
        bind,
        server,
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    };
    if (bind.family === 'unix') {
      try {
        if (lstatSync(bind.path).isSocket()) unlinkSync(bind.path);
      } catch {
        // not there
      }
      server.listen({ path: bind.path }, done);
    } else if (bind.family === 'abns') server.listen({ path: `\0${bind.path}` }, done);
    else server.listen({ host: bind.host === '' ? '0.0.0.0' : bind.host, port: bind.port }, done);
  });
}
