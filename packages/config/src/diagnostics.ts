/**
 * Diagnostics are values: parsing never throws on a user's mistake, it returns
 * these, and the caller decides how to print them and what the exit code is.
 */

/** HAProxy's message levels, most severe first. */
export type DiagnosticLevel = 'alert' | 'warning' | 'notice' | 'diag';

export interface Diagnostic {
  level: DiagnosticLevel;
  /** Stable code, `HAP_CFG_*`, for tools that filter diagnostics. */
  code: string;
  message: string;
  /** Set when the diagnostic is about a place in a file. */
  file?: string;
  line?: number;
  /** The keyword the message is about, when there is one (e.g. `timeout`, `bind`). */
  keyword?: string;
  /**
   * When HAProxy reports it: absent while reading the files; `check` in the whole-configuration
   * checks that follow (only reached when the files parsed); `init` when server addresses are
   * set up after those checks passed. The closing lines depend on it: "Error(s) found in
   * configuration file" names files with reading errors only.
   */
  phase?: 'check' | 'init';
  /** The place is printed as `[file:line] : ` without the word "parsing" (some post-parse messages). */
  bare?: true;
}

const LEVEL_TAG: Record<DiagnosticLevel, string> = {
  alert: '[ALERT]    ',
  warning: '[WARNING]  ',
  notice: '[NOTICE]   ',
  diag: '[DIAG]     ',
};

/** Messages from the file reader itself, which HAProxy prints as "parsing [f:l]: " (no space before ':'). */
const READER_CODES = new Set([
  // a few keyword parsers print some of their messages that way too (e.g. 'cookie' options)
  'HAP_CFG_TIGHT',
  'HAP_CFG_LEX',
  'HAP_CFG_TOO_MANY_WORDS',
  'HAP_CFG_NUL',
  'HAP_CFG_OUT_OF_SECTION',
  'HAP_CFG_MODIFIER',
  'HAP_CFG_MISSING_LF',
  'HAP_CFG_COND',
  'HAP_CFG_COND_NESTING',
  'HAP_CFG_COND_UNTERMINATED',
  'HAP_CFG_DIRECTIVE',
  'HAP_CFG_USER_ALERT',
  'HAP_CFG_USER_WARNING',
  'HAP_CFG_USER_NOTICE',
  'HAP_CFG_USER_DIAG',
  'HAP_CFG_TOO_MANY_ERRORS',
]);

/**
 * Prints a diagnostic in HAProxy's shape:
 * `[ALERT]    (1234) : config : parsing [haproxy.cfg:12] : unknown keyword 'foo' ...`
 */
export function formatDiagnostic(d: Diagnostic, pid: number = process.pid): string {
  if (d.bare && d.file !== undefined)
    return `${LEVEL_TAG[d.level]}(${pid}) : config : [${d.file}:${d.line ?? 0}] : ${d.message}`;
  const sep = READER_CODES.has(d.code) ? ': ' : ' : ';
  const where =
    d.file !== undefined ? `parsing [${d.file}${d.line !== undefined ? `:${d.line}` : ''}]${sep}` : '';
  return `${LEVEL_TAG[d.level]}(${pid}) : config : ${where}${d.message}`;
}

/** True when at least one diagnostic is an alert (HAProxy refuses such a configuration). */
export function hasAlerts(diags: readonly Diagnostic[]): boolean {
  for (const d of diags) if (d.level === 'alert') return true;
  return false;
}

/** Collects diagnostics while parsing; one per configuration load. */
export class DiagnosticSink {
  readonly list: Diagnostic[] = [];

  add(d: Diagnostic): void {
    this.list.push(d);
  }

  alert(code: string, message: string, file?: string, line?: number, keyword?: string): void {
    this.push('alert', code, message, file, line, keyword);
  }

  warning(code: string, message: string, file?: string, line?: number, keyword?: string): void {
    this.push('warning', code, message, file, line, keyword);
  }

  notice(code: string, message: string, file?: string, line?: number, keyword?: string): void {
    this.push('notice', code, message, file, line, keyword);
  }

  diag(code: string, message: string, file?: string, line?: number, keyword?: string): void {
    this.push('diag', code, message, file, line, keyword);
  }

  private push(
    level: DiagnosticLevel,
    code: string,
    message: string,
    file: string | undefined,
    line: number | undefined,
    keyword: string | undefined,
  ): void {
    const d: Diagnostic = { level, code, message };
    if (file !== undefined) d.file = file;
    if (line !== undefined) d.line = line;
    if (keyword !== undefined) d.keyword = keyword;
    this.list.push(d);
  }
}
