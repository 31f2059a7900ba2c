// HAProxy's diagnostic lines: `[ALERT]    (pid) : config : parsing [file:line] : message`.

export type DiagnosticLevel = 'ALERT' | 'WARNING' | 'NOTICE' | 'DIAG';

export interface Diagnostic {
  readonly level: DiagnosticLevel;
  /** The file of `parsing [file:line]`, or null for lines without a location. */
  readonly file: string | null;
  readonly line: number | null;
  /**
   * The text after the location (or after `config : ` / the pid); indented continuation
   * lines (HAProxy's `   | ...`) are appended after a newline.
   */
  readonly message: string;
  /** The context word before the message, e.g. 'config'; null when absent. */
  readonly context: string | null;
  /** The original line(s). */
  readonly raw: string;
}

const HEAD = /^\[(ALERT|WARNING|NOTICE|DIAG)\]\s*(?:\(\d+\)\s*)?:\s?(.*)$/;
const LOCATION = /^[Pp]arsing \[([^\]]*):(\d+)\]\s*:\s?(.*)$/s;
const CONTEXT = /^([a-z][a-z0-9_-]*) : (.*)$/s;

/** Parses every HAProxy-shaped diagnostic in `text`; other lines are ignored. */
export function parseDiagnostics(text: string): Diagnostic[] {
  const out: { level: DiagnosticLevel; rest: string; raw: string }[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = HEAD.exec(line);
    if (m) {
      out.push({ level: m[1] as DiagnosticLevel, rest: m[2] ?? '', raw: line });
      continue;
    }
    const last = out[out.length - 1];
    if (last && /^\s+\S/.test(line)) {
      last.rest += '\n' + line;
      last.raw += '\n' + line;
    }
  }
  return out.map(({ level, rest, raw }) => {
    let context: string | null = null;
    let body = rest;
    const c = CONTEXT.exec(body);
    if (c && !LOCATION.test(body)) {
      context = c[1] ?? null;
      body = c[2] ?? '';
    }
    const loc = LOCATION.exec(body);
    if (loc) {
      return { level, file: loc[1] ?? '', line: Number(loc[2]), message: loc[3] ?? '', context, raw };
    }
    return { level, file: null, line: null, message: body, context, raw };
  });
}
