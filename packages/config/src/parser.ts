/**
 * The file reader: lines → words → conditional blocks → sections → keyword
 * tables. Mirrors the order of HAProxy's reader so that the same mistakes are
 * reported on the same lines.
 */

import { type ConditionContext, evaluateCondition } from './condition.ts';
import { DiagnosticSink } from './diagnostics.ts';
import { describeLexError, tokenizeLine } from './lexer.ts';
import { type ConfigModel, newGlobal } from './model.ts';
import { type SectionHandler, sectionHandlers } from './sections.ts';

/** HAProxy cuts a line after this many words. */
const MAX_LINE_ARGS = 64;
/** HAProxy stops reading a file after this many fatal errors. */
const MAX_FATAL = 50;
const MAX_NESTED_CONDS = 10;

/** Keywords that accept the `no` / `default` prefixes. */
const MODIFIABLE = new Set([
  'option',
  'log',
  'busy-polling',
  'set-dumpable',
  'strict-limits',
  'insecure-fork-wanted',
  'numa-cpu-mapping',
]);

type CondState = 'take' | 'drop' | 'skip' | 'else-take' | 'else-drop';

export interface ParseState {
  readonly sink: DiagnosticSink;
  readonly model: ConfigModel;
  readonly cond: ConditionContext;
  readonly diagnosticMode: boolean;
  readonly cwd: string;
  ignoreResolveFailures: boolean;
  /** Set by a `.alert` or an unrecoverable error: stop reading everything. */
  aborted: boolean;
  fatal: number;
  section: SectionHandler | undefined;
  sectionName: string;
}

export function newParseState(cond: ConditionContext, diagnosticMode: boolean, cwd: string): ParseState {
  return {
    cwd,
    ignoreResolveFailures: false,
    sink: new DiagnosticSink(),
    model: { files: [], global: newGlobal(), proxies: [], sections: [] },
    cond,
    diagnosticMode,
    aborted: false,
    fatal: 0,
    section: undefined,
    sectionName: '',
  };
}

/** Parses one file's text into the shared state. */
export function parseText(state: ParseState, text: string, file: string): void {
  const { sink } = state;
  state.model.files.push(file);
  state.fatal = 0;
  const conds: CondState[] = [];
  // NUL bytes end a line for HAProxy's reader and are reported
  const lines = text.split('\n');
  const missingLf = lines.length > 0 && lines[lines.length - 1] !== '';
  if (!missingLf) lines.pop();
  let lineNo = 0;
  let lastFileLine = 0;

  for (const raw of lines) {
    lineNo++;
    lastFileLine = lineNo;
    if (state.aborted) return;
    if (state.fatal >= MAX_FATAL) {
      sink.alert(
        'HAP_CFG_TOO_MANY_ERRORS',
        `too many fatal errors (${state.fatal}), stopping now.`,
        file,
        lineNo,
      );
      return;
    }
    const nul = raw.indexOf('\0');
    if (nul >= 0) {
      sink.alert('HAP_CFG_NUL', `Stray NUL character at position ${nul + 1}.`, file, lineNo);
      state.fatal++;
      return;
    }
    const leading = raw.length - raw.trimStart().length;
    if (raw.charCodeAt(leading) === 0x5b /* [ */) {
      // a scope line "[name]"; HAProxy only uses it to tag following messages
      if (!/^\[[^\]]*\]/.test(raw.slice(leading))) {
        sink.alert('HAP_CFG_SCOPE', `Invalid scope format '${raw.trim()}'.`, file, lineNo);
        state.fatal++;
      }
      continue;
    }
    const lex = tokenizeLine(raw, {
      env: state.cond.env,
      file,
      line: lineNo,
      section: state.sectionName,
    });
    if (lex.error) {
      sink.alert('HAP_CFG_LEX', describeLexError(lex.error, raw), file, lineNo);
      state.fatal++;
      continue;
    }
    const words = lex.words;
    if (words.length > MAX_LINE_ARGS) {
      sink.alert(
        'HAP_CFG_TOO_MANY_WORDS',
        `too many words, truncating after word ${MAX_LINE_ARGS}: <${words[MAX_LINE_ARGS - 1]}>.`,
        file,
        lineNo,
      );
      state.fatal++;
      continue;
    }
    // an empty first word makes an empty line; keyword parsers stop at the first empty word,
    // directives (.notice "" x) still see every word, as HAProxy's positional arguments do
    if (words.length === 0 || words[0] === '') continue;
    const firstEmpty = words.indexOf('');
    let args = firstEmpty > 0 ? words.slice(0, firstEmpty) : words;
    const kw = args[0]!;

    // conditional blocks
    if (kw.charCodeAt(0) === 0x2e /* . */) {
      const handled = handleCondDirective(state, conds, args, file, lineNo);
      if (handled === 'abort') {
        state.aborted = true;
        return;
      }
      if (handled === 'done') continue;
    }
    if (conds.length > 0) {
      const top = conds[conds.length - 1]!;
      if (top === 'drop' || top === 'skip' || top === 'else-drop') continue;
    }
    if (kw.charCodeAt(0) === 0x2e) {
      if (handleMessageDirective(state, words, file, lineNo) === 'abort') {
        state.aborted = true;
        return;
      }
      continue;
    }

    // keyword modifiers
    let modifier: 'none' | 'no' | 'default' = 'none';
    if (kw === 'no' || kw === 'default') {
      modifier = kw;
      args = args.slice(1);
      if (args.length === 0) args = [''];
    }
    if (modifier !== 'none' && !MODIFIABLE.has(args[0]!)) {
      sink.alert(
        'HAP_CFG_MODIFIER',
        'negation/default currently supported only for options, log, busy-polling, set-dumpable, strict-limits, insecure-fork-wanted and numa-cpu-mapping.',
        file,
        lineNo,
      );
      state.fatal++;
    }

    const handler = sectionHandlers.get(args[0]!);
    if (handler) {
      state.section?.end?.(state);
      state.section = handler;
      state.sectionName = args[1] ?? args[0]!;
      const before = sink.list.length;
      handler.begin(state, args, file, lineNo);
      countFatal(state, before);
      continue;
    }
    if (!state.section) {
      sink.alert(
        'HAP_CFG_OUT_OF_SECTION',
        `unknown keyword '${args[0]}' out of section.`,
        file,
        lineNo,
        args[0],
      );
      state.fatal++;
      continue;
    }
    const before = sink.list.length;
    state.section.keyword(state, args, modifier, file, lineNo);
    countFatal(state, before);
  }

  if (missingLf) {
    sink.alert(
      'HAP_CFG_MISSING_LF',
      `Missing LF on last line, file might have been truncated at position ${(lines[lines.length - 1] ?? '').length + 1}.`,
      file,
      lastFileLine,
    );
  }
  state.section?.end?.(state);
  state.section = undefined;
  state.sectionName = '';
  if (conds.length > 0) {
    sink.alert('HAP_CFG_COND_UNTERMINATED', "non-terminated '.if' block.", file, lastFileLine);
    state.aborted = true;
  }
}

function countFatal(state: ParseState, before: number): void {
  const list = state.sink.list;
  for (let i = before; i < list.length; i++) if (list[i]!.level === 'alert') state.fatal++;
}

function handleCondDirective(
  state: ParseState,
  conds: CondState[],
  args: string[],
  file: string,
  line: number,
): 'done' | 'abort' | 'not-cond' {
  const { sink } = state;
  const kw = args[0]!;
  const top = conds[conds.length - 1];
  const masked = (s: CondState | undefined) => s === 'drop' || s === 'skip' || s === 'else-drop';
  switch (kw) {
    case '.if': {
      if (conds.length + 1 >= MAX_NESTED_CONDS) {
        sink.alert('HAP_CFG_COND_NESTING', `too many nested '.if', max is ${MAX_NESTED_CONDS}.`, file, line);
        return 'abort';
      }
      if (masked(top)) {
        conds.push('skip');
        return 'done';
      }
      const r = evaluateCondition(args.slice(1).join(' '), state.cond);
      if (!r.ok) {
        sink.alert('HAP_CFG_COND', `${r.message} in '.if' at position ${r.position + 1}.`, file, line, '.if');
        return 'abort';
      }
      conds.push(r.value ? 'take' : 'drop');
      return 'done';
    }
    case '.elif': {
      if (top === undefined) {
        sink.alert('HAP_CFG_COND', "lone '.elif' with no matching '.if'.", file, line, '.elif');
        return 'abort';
      }
      if (top === 'else-take' || top === 'else-drop') {
        sink.alert('HAP_CFG_COND', "'.elif' after '.else' is not permitted.", file, line, '.elif');
        return 'abort';
      }
      if (top === 'take' || top === 'skip') {
        conds[conds.length - 1] = 'skip';
        return 'done';
      }
      const r = evaluateCondition(args.slice(1).join(' '), state.cond);
      if (!r.ok) {
        sink.alert(
          'HAP_CFG_COND',
          `${r.message} in '.elif' at position ${r.position + 1}.`,
          file,
          line,
          '.elif',
        );
        return 'abort';
      }
      conds[conds.length - 1] = r.value ? 'take' : 'drop';
      return 'done';
    }
    case '.else': {
      if (args.length > 1) {
        sink.alert('HAP_CFG_COND', `Unexpected argument '${args[1]}' for '.else'.`, file, line, '.else');
        return 'abort';
      }
      if (top === undefined) {
        sink.alert('HAP_CFG_COND', "lone '.else' with no matching '.if'.", file, line, '.else');
        return 'abort';
      }
      if (top === 'else-take' || top === 'else-drop') {
        sink.alert('HAP_CFG_COND', "'.else' after '.else' is not permitted.", file, line, '.else');
        return 'abort';
      }
      conds[conds.length - 1] = top === 'drop' ? 'else-take' : 'else-drop';
      return 'done';
    }
    case '.endif': {
      if (args.length > 1) {
        sink.alert('HAP_CFG_COND', `Unexpected argument '${args[1]}' for '.endif'.`, file, line, '.endif');
        return 'abort';
      }
      if (top === undefined) {
        sink.alert('HAP_CFG_COND', "lone '.endif' with no matching '.if'.", file, line, '.endif');
        return 'abort';
      }
      conds.pop();
      return 'done';
    }
    default:
      return 'not-cond';
  }
}

function handleMessageDirective(
  state: ParseState,
  args: string[],
  file: string,
  line: number,
): 'ok' | 'abort' {
  const { sink } = state;
  const kw = args[0]!;
  const known = kw === '.alert' || kw === '.warning' || kw === '.notice' || kw === '.diag';
  if (!known) {
    sink.alert('HAP_CFG_DIRECTIVE', `unknown directive '${kw}'.`, file, line, kw);
    state.fatal++;
    return 'ok';
  }
  if (args.length > 2) {
    sink.alert(
      'HAP_CFG_DIRECTIVE',
      `Unexpected argument '${args[2]}' for '${kw}'. Use quotes if the message should contain spaces.`,
      file,
      line,
      kw,
    );
    state.fatal++;
    return 'ok';
  }
  const text = `'${args[1] ?? ''}'.`;
  if (kw === '.alert') {
    sink.alert('HAP_CFG_USER_ALERT', text, file, line, kw);
    return 'abort';
  }
  if (kw === '.warning') sink.warning('HAP_CFG_USER_WARNING', text, file, line, kw);
  else if (kw === '.notice') sink.notice('HAP_CFG_USER_NOTICE', text, file, line, kw);
  else if (state.diagnosticMode) sink.diag('HAP_CFG_USER_DIAG', text, file, line, kw);
  return 'ok';
}
