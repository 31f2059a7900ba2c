// The command table: one row per command, and the `help` / unknown-command answer built
// from it the way HAProxy 2.6 builds it (exact word matches first, then the five closest
// commands by word fingerprint, sorted by their usage line, then help/prompt/quit).
import { addFingerprint, fingerprintDistance } from './words.ts';

export type Level = 'user' | 'operator' | 'admin';

export const LEVEL_RANK: Readonly<Record<Level, number>> = { user: 1, operator: 2, admin: 3 };

/** Commands reserved to `expert-mode on` or `experimental-mode on`. */
export type CommandMode = 'expert' | 'experimental';

export interface CommandContext {
  /** The session's level now (`operator` and `user` lower it). */
  readonly level: Level;
  /** The level the socket was opened with (HAProxy decides `show stat` legends by it). */
  readonly socketLevel: Level;
  /** The lines after a command ending with `<<`, joined with line feeds, without the last one. */
  readonly payload: string | undefined;
  /** Whether the session is in interactive (prompt) mode. */
  readonly interactive: boolean;
  /** The socket's address as `show cli sockets` prints it (`unix@/run/haproxy.sock`, `ipv4@127.0.0.1:9999`). */
  readonly address: string;
  /** Changes this session's idle timeout (ms). */
  setTimeout(ms: number): void;
}

/** Answers a command: the text to print (each line with its line feed). */
export type CommandHandler = (args: readonly string[], ctx: CommandContext) => string | Promise<string>;

export interface CommandSpec {
  /** The fixed words that name the command (at most 5): ['show', 'stat']. */
  readonly words: readonly string[];
  /** The lowest level allowed to run it (default user). */
  readonly level?: Level;
  readonly mode?: CommandMode;
  /** The syntax `help` prints ('show stat [desc|json|no-maint|typed|up]*'); no usage: not listed. */
  readonly usage?: string;
  /** What it does, after the syntax in `help`. */
  readonly help?: string;
  /** Gets every word of the request, the command's own included. */
  readonly handler: CommandHandler;
}

export interface Command extends CommandSpec {
  readonly level: Level;
  /** The `help` line: the syntax in 40 columns, ': ', the description. */
  readonly line: string | undefined;
}

/** What a session may see of the table. */
export interface Visibility {
  readonly level: Level;
  readonly expert: boolean;
  readonly experimental: boolean;
  /** HAProxy 2.6 lists every command whatever the level; false lists only the allowed ones. */
  readonly allLevels: boolean;
}

const KEYWORDS = 5; // CLI_PREFIX_KW_NB
const MAX_MATCHES = 5; // CLI_MAX_MATCHES

// Always printed last: the three commands every session has.
export const TRAILER =
  '  help [<command>]                        : list the commands matching <command>, or all of them\n' +
  '  prompt                                  : switch the interactive mode (with a prompt) on or off\n' +
  '  quit                                    : close the connection\n';

export function usageLine(usage: string, help: string | undefined): string {
  return help === undefined ? usage : `${usage.padEnd(40)}: ${help}`;
}

export class CommandTable {
  private readonly commands: Command[] = [];

  /** Adds a command; the same words twice is a programming error. */
  add(spec: CommandSpec): Command {
    if (spec.words.length === 0 || spec.words.length > KEYWORDS) {
      throw new Error(`runtime-api: a command has 1 to ${KEYWORDS} words: [${spec.words.join(' ')}]`);
    }
    const key = spec.words.join(' ');
    if (this.commands.some((c) => c.words.join(' ') === key)) {
      throw new Error(`runtime-api: command '${key}' is already registered`);
    }
    const cmd: Command = {
      ...spec,
      level: spec.level ?? 'user',
      line: spec.usage === undefined ? undefined : usageLine(spec.usage, spec.help),
    };
    this.commands.push(cmd);
    return cmd;
  }

  list(): readonly Command[] {
    return this.commands;
  }

  /** The command whose words start `args`; the longest such one. */
  find(args: readonly string[]): Command | undefined {
    let best: Command | undefined;
    for (const c of this.commands) {
      if (c.words.every((w, i) => args[i] === w) && (!best || c.words.length > best.words.length)) best = c;
    }
    return best;
  }

  private visible(c: Command, v: Visibility): boolean {
    if (c.mode === 'expert' && !v.expert) return false;
    if (c.mode === 'experimental' && !v.experimental) return false;
    return v.allLevels || LEVEL_RANK[c.level] <= LEVEL_RANK[v.level];
  }

  /**
   * The answer to `help [<words>]` (isHelp) or to an unknown command `args`: the commands
   * matching the words typed, or the closest ones, or all of them.
   */
  usage(args: readonly string[], isHelp: boolean, v: Visibility): string {
    const typed = isHelp ? args.slice(1) : args;
    const shown = this.commands.filter((c) => this.visible(c, v));
    // how many leading words some visible command matches exactly
    let length = 0;
    for (const c of shown) {
      let i = 0;
      while (i < KEYWORDS && i < c.words.length && typed[i] && c.words[i] === typed[i]) i++;
      length = Math.max(length, i);
    }
    let out: string;
    if (isHelp) out = 'The following commands are valid at this level:\n';
    else if (length === 0 && !typed[0])
      out = 'Unknown command. Please enter one of the following commands only:\n';
    else out = 'Unknown command, but maybe one of the following ones is a better match:\n';

    const prefixOk = (c: Command) => {
      for (let i = 0; i < length; i++) if (c.words[i] !== typed[i]) return false;
      return true;
    };
    // the words after the matching ones are compared by fingerprint
    const matches: { cmd: Command; dist: number }[] = [];
    if (typed[length]) {
      for (const c of shown) {
        if (c.line === undefined || c.words.length < length || !prefixOk(c)) continue;
        const mine = new Uint8Array(1024);
        const theirs = new Uint8Array(1024);
        let total = 0;
        for (let i = length; i < KEYWORDS && typed[i]; i++) {
          addFingerprint(mine, typed[i]!);
          total += typed[i]!.length;
        }
        for (let i = length; i < KEYWORDS && i < c.words.length; i++) {
          addFingerprint(theirs, c.words[i]!);
          total += c.words[i]!.length;
        }
        const dist = fingerprintDistance(mine, theirs);
        const worst =
          matches.length < MAX_MATCHES ? Number.POSITIVE_INFINITY : matches[MAX_MATCHES - 1]!.dist;
        if (dist < Math.floor((5 * total) / 2) && dist < worst) {
          // keep the best five, earlier registrations first on ties
          let at = matches.findIndex((m) => dist < m.dist);
          if (at < 0) at = matches.length;
          matches.splice(at, 0, { cmd: c, dist });
          if (matches.length > MAX_MATCHES) matches.pop();
        }
      }
    }
    let entries: Command[];
    if (matches.length > 0) {
      // drop the candidates much further than the best one
      const best = matches[0]!.dist;
      entries = matches.filter((m) => m.dist <= Math.floor((5 * best) / 2)).map((m) => m.cmd);
    } else {
      entries = shown.filter((c) => c.line !== undefined && prefixOk(c));
    }
    const lines = entries.map((c) => c.line!).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const l of lines) out += `  ${l}\n`;
    return out + TRAILER;
  }
}
