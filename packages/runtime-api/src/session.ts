// One CLI session, independent of the transport: bytes in, text out, and a request to
// close. It follows HAProxy 2.6's applet: without a prompt, each answer ends with an empty
// line and the session closes once no request is left in its buffer; with `prompt`, each
// answer ends with "\n> " and the session stays; a command ending with `<<` takes the
// following lines up to an empty one as its payload.
import { StringDecoder } from 'node:string_decoder';
import type { CommandContext, CommandTable, Level } from './commands.ts';
import { LEVEL_RANK } from './commands.ts';
import { nextCommand, nextLine, PAYLOAD_PATTERN, splitWords } from './words.ts';

export const PERMISSION_DENIED = 'Permission denied\n';

export interface SessionHost {
  readonly table: CommandTable;
  /** HAProxy 2.6 lists every command in `help` whatever the level. */
  readonly helpListsAllLevels: boolean;
  /** `show cli sockets`: one line per listening socket. */
  sockets(): readonly { address: string; level: Level }[];
}

export interface SessionOptions {
  readonly level: Level;
  /** As `show cli sockets` prints it. */
  readonly address: string;
  /** A request (command line plus payload) longer than this closes the session (tune.bufsize). */
  readonly maxRequest: number;
  /** Writes an answer. */
  write(text: string): void;
  /** Closes the connection once what was written is sent. */
  end(): void;
  /** The idle timeout was changed by `set timeout cli`. */
  setTimeout(ms: number): void;
}

export class CliSession {
  level: Level;
  prompt = false;
  expert = false;
  experimental = false;
  private buf = '';
  private readonly decoder = new StringDecoder('utf8');
  /** The command line waiting for its payload, and the payload so far. */
  private pending: { line: string; payload: string[] } | null = null;
  private busy = false;
  private eof = false;
  private closed = false;
  /** No line feed after the next answer (`user -`, `operator -`). */
  private noLf = false;

  private readonly host: SessionHost;
  private readonly opts: SessionOptions;

  constructor(host: SessionHost, opts: SessionOptions) {
    this.host = host;
    this.opts = opts;
    this.level = opts.level;
  }

  /** Bytes from the client. */
  receive(chunk: Buffer | string): void {
    if (this.closed) return;
    this.buf += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    void this.pump();
  }

  /** The client closed its side: finish what is complete, then close. */
  finish(): void {
    this.eof = true;
    void this.pump();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.opts.end();
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      while (!this.closed) {
        if (this.pending) {
          const l = nextLine(this.buf);
          if (!l) break;
          this.buf = this.buf.slice(l.used);
          if (l.line !== '') {
            this.pending.payload.push(l.line);
            if (this.tooLong()) return this.close();
            if (this.prompt) this.opts.write('+ ');
            continue;
          }
          const { line, payload } = this.pending;
          this.pending = null;
          await this.run(line, payload.join('\n'));
        } else {
          const cmd = nextCommand(this.buf);
          if (!cmd) {
            if (this.buf.length > this.opts.maxRequest) return this.close();
            break;
          }
          this.buf = this.buf.slice(cmd.used);
          if (cmd.line.endsWith(PAYLOAD_PATTERN)) {
            this.pending = { line: cmd.line, payload: [] };
            if (this.prompt) this.opts.write('+ ');
            continue;
          }
          await this.run(cmd.line, undefined);
        }
        if (this.closed) return;
        // without a prompt, the session ends when the client has sent nothing more
        if (!this.prompt && !this.pending && this.buf.length === 0) return this.close();
      }
      if (this.eof) this.close();
    } finally {
      this.busy = false;
    }
  }

  private tooLong(): boolean {
    const p = this.pending;
    return (
      p !== null && p.line.length + p.payload.reduce((n, l) => n + l.length + 1, 0) > this.opts.maxRequest
    );
  }

  /** Runs one command and writes its answer followed by the end-of-answer marker. */
  private async run(line: string, payload: string | undefined): Promise<void> {
    const out = await this.answer(line, payload);
    if (this.closed) return;
    let end = this.prompt ? '\n> ' : '\n';
    if (this.noLf && !this.prompt) end = '';
    this.noLf = false;
    this.opts.write(out + end);
  }

  private visibility() {
    return {
      level: this.level,
      expert: this.expert,
      experimental: this.experimental,
      allLevels: this.host.helpListsAllLevels,
    };
  }

  private async answer(line: string, payload: string | undefined): Promise<string> {
    const { words } = splitWords(line);
    const table = this.host.table;
    switch (words[0]) {
      case 'help':
        return table.usage(words, true, this.visibility());
      case 'prompt':
        this.prompt = !this.prompt;
        return '';
      case 'quit':
        this.close();
        return '';
      // these change the session itself; the table only lists them
      case 'operator':
      case 'user':
        return this.lowerTo(words[0], words[1] === '-');
      case 'expert-mode':
      case 'experimental-mode':
        return this.setMode(
          words[0] === 'expert-mode' ? 'expert' : 'experimental',
          words[1],
          words[1] !== undefined && words[2] === '-',
        );
    }
    const cmd = table.find(words);
    if (!cmd) return table.usage(words, false, this.visibility());
    if (cmd.mode === 'expert' && !this.expert) return 'This command is restricted to expert mode only.\n';
    if (cmd.mode === 'experimental' && !this.experimental) {
      return 'This command is restricted to experimental mode only.\n';
    }
    if (LEVEL_RANK[this.level] < LEVEL_RANK[cmd.level]) return PERMISSION_DENIED;
    const ctx: CommandContext = {
      level: this.level,
      socketLevel: this.opts.level,
      payload,
      interactive: this.prompt,
      address: this.opts.address,
      setTimeout: (ms) => this.opts.setTimeout(ms),
    };
    try {
      return await cmd.handler(words, ctx);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      return msg.endsWith('\n') ? msg : `${msg}\n`;
    }
  }

  /** For the built-ins: lowers the level (`operator`, `user`), leaving expert modes. */
  lowerTo(level: Level, noLf: boolean): string {
    if (noLf) this.noLf = true;
    if (LEVEL_RANK[this.level] < LEVEL_RANK[level]) return PERMISSION_DENIED;
    this.level = level;
    this.expert = false;
    this.experimental = false;
    return '';
  }

  /** For the built-ins: `expert-mode` / `experimental-mode [on|off]`. */
  setMode(which: 'expert' | 'experimental', arg: string | undefined, noLf: boolean): string {
    if (noLf) this.noLf = true;
    if (this.level !== 'admin') return PERMISSION_DENIED;
    if (!arg) return `${which}-mode is ${this[which] ? 'ON' : 'OFF'}\n`;
    this[which] = arg === 'on';
    return '';
  }
}
