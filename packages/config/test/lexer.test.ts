// biome-ignore-all lint/suspicious/noTemplateCurlyInString: configuration text uses ${VAR} literally
// Table-driven tests of the line tokenizer (manual §2.2–2.3).
//
// Tokenization is made observable in the real HAProxy with `.notice <word>`:
// HAProxy echoes the single resulting word verbatim, reports "Unexpected
// argument '<second word>'" when there are more, and prints its tokenizer
// errors with the same "at position N" column as ours. Every row below is
// checked against haproxy 2.6 as well as against tokenizeLine().
import { parseConfig, tokenizeLine } from '@hap/config';
import { describe, expect, it } from 'vitest';
import { haproxyNotice, runIsolated } from './support/oracle.ts';

const TAB = '\t';

function lex(
  line: string,
  env: Record<string, string> = {},
  where = { file: 'f.cfg', line: 7, section: 'app' },
) {
  return tokenizeLine(line, { env, ...where });
}

function words(line: string, env: Record<string, string> = {}): string[] {
  const r = lex(line, env);
  expect(r.error, `unexpected tokenizer error on ${JSON.stringify(line)}`).toBeUndefined();
  return r.words;
}

interface MatrixRow {
  char: string;
  context: 'unquoted' | 'weak' | 'strong';
  input: string;
  word: string;
  /** Set when HAProxy 2.6.12 does not do what the §2.2 matrix says (the row asserts HAProxy's behaviour). */
  docSays?: string;
}

// Every cell of the §2.2 table "Character | Unquoted | Weakly quoted | Strongly quoted".
const MATRIX: MatrixRow[] = [
  // <TAB>
  {
    char: '<TAB>',
    context: 'unquoted',
    input: `\\${TAB}x`,
    word: '\\',
    docSays: 'a TAB; HAProxy keeps the backslash and the TAB still separates words',
  },
  { char: '<TAB>', context: 'unquoted', input: '\\x09', word: TAB },
  { char: '<TAB>', context: 'weak', input: `"${TAB}"`, word: TAB },
  {
    char: '<TAB>',
    context: 'weak',
    input: `"\\${TAB}"`,
    word: `\\${TAB}`,
    docSays: 'a TAB; HAProxy keeps the backslash before the TAB',
  },
  { char: '<TAB>', context: 'weak', input: '"\\x09"', word: TAB },
  { char: '<TAB>', context: 'strong', input: `'${TAB}'`, word: TAB },
  // <LF>
  { char: '<LF>', context: 'unquoted', input: '\\n', word: '\n' },
  { char: '<LF>', context: 'unquoted', input: '\\x0a', word: '\n' },
  { char: '<LF>', context: 'weak', input: '"\\n"', word: '\n' },
  { char: '<LF>', context: 'weak', input: '"\\x0a"', word: '\n' },
  // <CR>
  { char: '<CR>', context: 'unquoted', input: '\\r', word: '\r' },
  { char: '<CR>', context: 'unquoted', input: '\\x0d', word: '\r' },
  { char: '<CR>', context: 'weak', input: '"\\r"', word: '\r' },
  { char: '<CR>', context: 'weak', input: '"\\x0d"', word: '\r' },
  // <SPC>
  { char: '<SPC>', context: 'unquoted', input: 'a\\ b', word: 'a b' },
  { char: '<SPC>', context: 'unquoted', input: '\\x20', word: ' ' },
  { char: '<SPC>', context: 'weak', input: '" "', word: ' ' },
  { char: '<SPC>', context: 'weak', input: '"\\ "', word: ' ' },
  { char: '<SPC>', context: 'weak', input: '"\\x20"', word: ' ' },
  { char: '<SPC>', context: 'strong', input: "' '", word: ' ' },
  // "
  { char: '"', context: 'unquoted', input: '\\"', word: '"' },
  { char: '"', context: 'unquoted', input: '\\x22', word: '"' },
  { char: '"', context: 'weak', input: '"\\""', word: '"' },
  { char: '"', context: 'weak', input: '"\\x22"', word: '"' },
  { char: '"', context: 'strong', input: `'"'`, word: '"' },
  // #
  { char: '#', context: 'unquoted', input: '\\#', word: '#' },
  { char: '#', context: 'unquoted', input: '\\x23', word: '#' },
  { char: '#', context: 'weak', input: '"#"', word: '#' },
  { char: '#', context: 'weak', input: '"\\#"', word: '#' },
  { char: '#', context: 'weak', input: '"\\x23"', word: '#' },
  { char: '#', context: 'strong', input: "'#'", word: '#' },
  // $
  { char: '$', context: 'unquoted', input: '$', word: '$' },
  {
    char: '$',
    context: 'unquoted',
    input: '\\$',
    word: '\\$',
    docSays: "'$'; outside double quotes HAProxy keeps the backslash of \\$",
  },
  { char: '$', context: 'unquoted', input: '\\x24', word: '$' },
  { char: '$', context: 'weak', input: '"\\$"', word: '$' },
  { char: '$', context: 'weak', input: '"\\x24"', word: '$' },
  { char: '$', context: 'strong', input: "'$'", word: '$' },
  // '
  { char: "'", context: 'unquoted', input: "\\'", word: "'" },
  { char: "'", context: 'unquoted', input: '\\x27', word: "'" },
  { char: "'", context: 'weak', input: `"'"`, word: "'" },
  { char: "'", context: 'weak', input: `"\\'"`, word: "'" },
  { char: "'", context: 'weak', input: '"\\x27"', word: "'" },
  // \
  { char: '\\', context: 'unquoted', input: '\\\\', word: '\\' },
  { char: '\\', context: 'unquoted', input: '\\x5c', word: '\\' },
  { char: '\\', context: 'weak', input: '"\\\\"', word: '\\' },
  { char: '\\', context: 'weak', input: '"\\x5c"', word: '\\' },
  { char: '\\', context: 'strong', input: "'\\'", word: '\\' },
];

// Further rules of §2.2: unknown escapes, concatenation, comments, \x bytes.
const OTHER_SINGLE_WORD: Array<{ name: string; input: string; word: string }> = [
  { name: 'a backslash before an ordinary char stays (regsub "\\1")', input: 'a\\qb', word: 'a\\qb' },
  { name: 'same inside double quotes', input: '"a\\qb"', word: 'a\\qb' },
  { name: 'nothing is interpreted inside single quotes', input: "'\\n\\x41$A'", word: '\\n\\x41$A' },
  { name: 'adjacent quoted parts concatenate', input: `"a"'b'c`, word: 'abc' },
  { name: 'empty double quotes glue to the next part', input: '""x', word: 'x' },
  { name: 'empty quotes after a word add nothing', input: 'a""', word: 'a' },
  { name: '# starts a comment in the middle of a word', input: 'a#b', word: 'a' },
  { name: '# is literal inside double quotes', input: '"a#b"', word: 'a#b' },
  { name: '\\x escapes chain', input: '\\x41\\x7e', word: 'A~' },
  { name: '\\x accepts upper and lower case hex', input: '\\x4a\\x4A', word: 'JJ' },
  { name: '\\xff gives the byte 0xff', input: '\\xff', word: '\xff' },
  { name: 'a trailing lone backslash stays', input: 'a\\', word: 'a\\' },
  { name: 'an escaped backslash does not escape the next char', input: '\\\\x41', word: '\\x41' },
  { name: 'a raw CR ends the line', input: 'a\rb', word: 'a' },
  { name: 'latin1 bytes pass through', input: '"\xc3\xa9"', word: '\xc3\xa9' },
  { name: 'an empty double-quoted word is a word', input: '""', word: '' },
  { name: 'an empty single-quoted word is a word', input: "''", word: '' },
];

describe('§2.2 quoting matrix', () => {
  it.each(MATRIX.map((r) => [`${r.char} ${r.context} ${JSON.stringify(r.input)}`, r] as const))(
    '%s',
    (_name, row) => {
      // the first word is what the cell is about ("\<TAB>x" gives a second word)
      expect(words(row.input)[0]).toBe(row.word);
      const hap = haproxyNotice(row.input.replace(/\tx$/, ''));
      expect(hap, `haproxy 2.6 on .notice ${JSON.stringify(row.input)}`).toEqual({
        kind: 'word',
        word: row.word,
      });
    },
  );

  it('backslash + real TAB does not escape the TAB: two words, as HAProxy 2.6.12 does', () => {
    expect(words(`mode http\\${TAB}x`)).toEqual(['mode', 'http\\', 'x']);
    // HAProxy: the TAB separates, so the word after the TAB is an extra argument
    expect(haproxyNotice(`a\\${TAB}b`)).toEqual({
      kind: 'alert',
      message: "Unexpected argument 'b' for '.notice'. Use quotes if the message should contain spaces.",
    });
  });

  it('single quotes cannot hold a single quote: the quote closes', () => {
    expect(words(`'a'b'c'`)).toEqual(['abc']);
  });

  it.each(OTHER_SINGLE_WORD.map((r) => [r.name, r] as const))('%s', (_name, row) => {
    expect(words(row.input)).toEqual([row.word]);
    expect(haproxyNotice(row.input)).toEqual({ kind: 'word', word: row.word });
  });
});

describe('word splitting', () => {
  it.each([
    ['blanks separate, runs of blanks count once', `  mode \t  http   `, ['mode', 'http']],
    ['vertical tab and form feed are blanks too', 'a\vb\fc', ['a', 'b', 'c']],
    ['a comment ends the line', 'bind :80 # comment "unbalanced', ['bind', ':80']],
    ['a comment right after a quoted word', '"a"#b', ['a']],
    ['an empty line has no word', '', []],
    ['a blank line has no word', ` \t `, []],
    ['a comment line has no word', '# only a comment', []],
    ['empty quotes make an empty word in the middle', 'a "" b', ['a', '', 'b']],
    ['escaped space joins words', 'log-format %t\\ %s', ['log-format', '%t %s']],
    ['the §2.2 log-format example, unquoted', '%{+Q}o\\ %t\\ %s\\ %{-Q}r', ['%{+Q}o %t %s %{-Q}r']],
    ['the §2.2 log-format example, weakly quoted', '"%{+Q}o %t %s %{-Q}r"', ['%{+Q}o %t %s %{-Q}r']],
    ['the §2.2 log-format example, strongly quoted', "'%{+Q}o %t %s %{-Q}r'", ['%{+Q}o %t %s %{-Q}r']],
    ['the §2.2 log-format example, mixed', `"%{+Q}o %t"' %s'\\ %{-Q}r`, ['%{+Q}o %t %s %{-Q}r']],
    [
      'the §2.2 regsub example keeps inner double quotes inside single quotes',
      `http-request set-path '%[path,regsub("^/(here)(/|$)","my/\\1",g)]'`,
      ['http-request', 'set-path', '%[path,regsub("^/(here)(/|$)","my/\\1",g)]'],
    ],
    [
      'escaped double quotes pass to the second level',
      'set-path %[path,regsub(\\"(foo|bar)\\",blah,g)]',
      ['set-path', '%[path,regsub("(foo|bar)",blah,g)]'],
    ],
  ] as const)('%s', (_name, line, expected) => {
    expect(words(line)).toEqual(expected);
  });

  it('HAProxy agrees that "a" "" "x" keeps the empty word as an argument', () => {
    // .notice with an empty first argument followed by another one is refused
    expect(haproxyNotice('"" x')).toEqual({
      kind: 'alert',
      message: "Unexpected argument 'x' for '.notice'. Use quotes if the message should contain spaces.",
    });
    expect(words('"" x')).toEqual(['', 'x']);
  });
});

describe('§2.3 environment variables', () => {
  const ENV = { A: 'x', E: '', L: ' a b  c ', A_1: 'y', _A: 'z', H: 'v#1', Q: `it's "q"` };

  const SINGLE: Array<[string, string, string]> = [
    ['braced', '"${A}"', 'x'],
    ['plain', '"$A"', 'x'],
    ['plain name ends at a non-name char', '"$A.B"', 'x.B'],
    ['plain name is greedy', '"$AB"', ''],
    ['braced name then text', '"${A}B"', 'xB'],
    ['underscore and digits in a name', '"${A_1}"', 'y'],
    ['a name may start with an underscore', '"$_A"', 'z'],
    ['an unset variable is empty', '"${U}"', ''],
    ['an unset variable in a word', '"<${U}>"', '<>'],
    ['a set-but-empty variable is empty', '"${E}"', ''],
    ['default when unset', '"${U-def}"', 'def'],
    ['default with spaces is one word without [*]', '"${U-d e}"', 'd e'],
    ['no default when set to empty', '"${E-def}x"', 'x'],
    ['no default when set', '"${A-def}"', 'x'],
    ['a value is not re-tokenized (#)', '"${H}"', 'v#1'],
    ['a value is not re-tokenized (quotes)', '"${Q}"', `it's "q"`],
    ['a value with spaces is one word without [*]', '"${L}"', ' a b  c '],
    ['[*] of a single-word value', '"${A[*]}"', 'x'],
    ['[*] of an unset variable', '"${U[*]}"', ''],
    ['[*] is only recognised inside braces', '"$A[*]"', 'x[*]'],
    ['bare $A is not expanded', '$A', '$A'],
    ['bare ${A} is not expanded', '${A}', '${A}'],
    ["'$A' is not expanded", "'$A'", '$A'],
    ['"\\$A" is not expanded', '"\\$A"', '$A'],
    ['\\$A outside quotes keeps its backslash', '\\$A', '\\$A'],
    ['two variables in one word', '"${A}${A_1}"', 'xy'],
  ];

  it.each(SINGLE)('%s: %s', (_name, line, expected) => {
    expect(words(line, ENV)).toEqual([expected]);
    expect(haproxyNotice(line, ENV)).toEqual({ kind: 'word', word: expected });
  });

  const MULTI: Array<[string, string, string[]]> = [
    [
      '[*] splits on blanks; leading and trailing blanks give empty edge words',
      '"${L[*]}"',
      ['', 'a', 'b', 'c', ''],
    ],
    ['[*] with edge blanks next to text', '"x${L[*]}y"', ['x', 'a', 'b', 'c', 'y']],
    ['[*] trailing blank separates the following text', '"x${T[*]}y"', ['xa', 'y']],
    ['[*] leading blank separates the preceding text', '"x${S[*]}y"', ['x', 'ay']],
    ['[*] of a spaced value', '"${M[*]}"', ['p', 'q']],
    ['[*] glues its first and last words to the surrounding text', '"<${M[*]}>"', ['<p', 'q>']],
    ['[*] applies to the default value', '"${U[*]-d e}"', ['d', 'e']],
  ];

  it.each(MULTI)('%s: %s', (_name, line, expected) => {
    const env = { ...ENV, M: 'p q', T: 'a ', S: ' a' };
    expect(words(line, env)).toEqual(expected);
    // HAProxy names the second resulting word as the unexpected argument
    expect(haproxyNotice(line, env)).toEqual({
      kind: 'alert',
      message: `Unexpected argument '${expected[1]}' for '.notice'. Use quotes if the message should contain spaces.`,
    });
  });

  it('pseudo variables .FILE, .LINE and .SECTION', () => {
    expect(words('"${.FILE}:${.LINE}:${.SECTION}"', {})).toEqual(['f.cfg:7:app']);
    expect(words('"$.LINE"')).toEqual(['7']);
    expect(lex('"${.SECTION}"', {}, { file: 'x', line: 1, section: '' }).words).toEqual(['']);
    // the same line in HAProxy (probe: line 2 of n.cfg, in section "global")
    const hap = haproxyNotice('"${.LINE}:${.SECTION}"');
    expect(hap).toEqual({ kind: 'word', word: '2:global' });
  });

  it('pseudo variables through parseConfig: line numbers and section names', () => {
    const r = parseConfig(
      'global\n.notice "${.FILE}:${.LINE}:${.SECTION}"\nfrontend fe\n.notice "$.SECTION"\n',
      'p.cfg',
      {
        env: {},
      },
    );
    const notices = r.diagnostics.filter((d) => d.level === 'notice').map((d) => d.message);
    expect(notices).toEqual(["'p.cfg:2:global'.", "'fe'."]);
  });

  it('the environment value is split on CR too with [*] (HAProxy: isspace) and does not hang', () => {
    // HAProxy 2.6.12 with L=$'a\rb': .notice "x${L[*]}y" → words 'xa', 'by'
    const r = runIsolated([{ fn: 'tokenizeLine', text: '"x${L[*]}y"', env: { L: 'a\rb' } }], 15_000);
    expect(r, 'tokenizeLine(\'"x${L[*]}y"\') with L="a\\rb" must terminate').toMatchObject({
      status: 'done',
    });
    if (r.status === 'done') expect(r.results[0]).toEqual({ words: ['xa', 'by'], error: undefined });
  });
});

describe('tokenizer errors', () => {
  const ERRORS: Array<[string, string, 'quote' | 'brace' | 'varname' | 'hex' | 'expand', string]> = [
    ['unmatched double quote', '"a', 'quote', 'unmatched quote'],
    ['unmatched single quote', "'a", 'quote', 'unmatched quote'],
    ['unmatched quote in the middle of a word', 'a"b c', 'quote', 'unmatched quote'],
    ['an escaped closing quote leaves the quote open', '"a\\"', 'quote', 'unmatched quote'],
    ['the column is that of the last opening quote', `'x' "a`, 'quote', 'unmatched quote'],
    ['\\x with non-hex digits', '\\xZ1', 'hex', 'truncated or invalid hexadecimal sequence'],
    ['truncated \\x', '\\x4', 'hex', 'truncated or invalid hexadecimal sequence'],
    ['truncated \\x after a good one', '\\x41\\x4', 'hex', 'truncated or invalid hexadecimal sequence'],
    ['\\x in double quotes', '"\\xg0"', 'hex', 'truncated or invalid hexadecimal sequence'],
    ['${ without }', '"${A"', 'brace', 'unmatched brace in environment variable name'],
    ['${A- without }', '"${A-x"', 'brace', 'unmatched brace in environment variable name'],
    ['${A with a stray char', '"${A!}"', 'brace', 'unmatched brace in environment variable name'],
    [
      '${1A}: a digit cannot start a name',
      '"${1A}"',
      'varname',
      'forbidden first char in environment variable name',
    ],
    [
      '$1A: a digit cannot start a name',
      '"$1A"',
      'varname',
      'forbidden first char in environment variable name',
    ],
    ['a lone $ in double quotes', '"$"', 'varname', 'forbidden first char in environment variable name'],
    ['$ followed by a space', '"$ x"', 'varname', 'forbidden first char in environment variable name'],
    ['empty braces', '"${}"', 'varname', 'forbidden first char in environment variable name'],
    ['unknown pseudo variable', '"${.FOO}"', 'varname', 'forbidden first char in environment variable name'],
    ['${A[x]}: bad expansion', '"${A[x]}"', 'expand', 'truncated or invalid word expansion sequence'],
    ['${A[*}: truncated expansion', '"${A[*}"', 'expand', 'truncated or invalid word expansion sequence'],
  ];

  it.each(ERRORS)('%s: %s', (_name, input, kind, text) => {
    // in .notice position, as in the HAProxy probe: the column counts ".notice "
    const line = `.notice ${input}`;
    const r = lex(line, { A: 'x' });
    expect(r.error?.kind).toBe(kind);
    const hap = haproxyNotice(input, { A: 'x' });
    expect(hap.kind).toBe('alert');
    const hapFirst = hap.kind === 'alert' ? (hap.message.split('\n')[0] ?? '') : '';
    expect(hapFirst).toMatch(new RegExp(`^${text} at position \\d+:$`));
    const hapColumn = Number(/at position (\d+):/.exec(hapFirst)?.[1]);
    expect(r.error?.column, `HAProxy: ${hapFirst}`).toBe(hapColumn);
    // and the diagnostic parseConfig prints starts like HAProxy's
    const diag = parseConfig(`global\n${line}\n`, 'n.cfg', { env: { A: 'x' } }).diagnostics.find(
      (d) => d.code === 'HAP_CFG_LEX',
    );
    expect(diag?.line).toBe(2);
    expect(diag?.message.split('\n')[0]).toBe(hapFirst);
  });

  it('unmatched quote reports the quote column (1-based)', () => {
    expect(lex('bind "abc').error).toEqual({ kind: 'quote', column: 6 });
    expect(lex("  x 'abc").error).toEqual({ kind: 'quote', column: 5 });
  });

  it('the caret of the error message sits under the column', () => {
    const diag = parseConfig('global\n  maxconn "12\n', 'c.cfg', { env: {} }).diagnostics[0]!;
    expect(diag.code).toBe('HAP_CFG_LEX');
    const [first, shown, caret] = diag.message.split('\n');
    expect(first).toBe('unmatched quote at position 11:');
    expect(shown).toBe('    maxconn "12');
    expect(caret).toBe(`  ${' '.repeat(10)}^`);
  });
});
