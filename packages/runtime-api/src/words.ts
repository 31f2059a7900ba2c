// How the CLI cuts a request: commands end at an unescaped ';' or a line feed, words are
// separated by spaces or tabs, a backslash escapes the next character, and a word `<<`
// ends the words (what follows is the payload). Plus the word fingerprints HAProxy uses
// to suggest commands close to a mistyped one.

/** At most this many words per command (MAX_CLI_ARGS); more are ignored. */
export const MAX_WORDS = 64;

/** The payload marker: a command line ending with it is followed by lines up to an empty one. */
export const PAYLOAD_PATTERN = '<<';

/**
 * The first command in `buf`: up to the first line feed or `;` not preceded by a
 * backslash. Returns the command without its delimiter (and without a `\r` before it) and
 * the number of characters consumed, or null when no delimiter came yet.
 */
export function nextCommand(buf: string): { line: string; used: number; delimiter: '\n' | ';' } | null {
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '\n' || c === ';') {
      let line = buf.slice(0, i);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      return { line, used: i + 1, delimiter: c };
    }
  }
  return null;
}

/** The next line of a payload (no escapes, no `;`), or null when it is not complete. */
export function nextLine(buf: string): { line: string; used: number } | null {
  const i = buf.indexOf('\n');
  if (i < 0) return null;
  let line = buf.slice(0, i);
  if (line.endsWith('\r')) line = line.slice(0, -1);
  return { line, used: i + 1 };
}

/**
 * Splits a command into words. A backslash keeps the next character in the word (`\ `,
 * `\;`) and is removed, `\\` gives one backslash. A word that is exactly `<<` stops the
 * split: `payload` tells it was there.
 */
export function splitWords(line: string): { words: string[]; payload: boolean } {
  const words: string[] = [];
  let i = 0;
  while (words.length < MAX_WORDS && i < line.length) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (i >= line.length) break;
    if (line.slice(i) === PAYLOAD_PATTERN) return { words, payload: true };
    let word = '';
    while (i < line.length && line[i] !== ' ' && line[i] !== '\t') {
      if (line[i] === '\\') {
        i++;
        if (i >= line.length) break;
      }
      word += line[i];
      i++;
    }
    words.push(word);
  }
  return { words, payload: false };
}

/**
 * A word's fingerprint: which letters it has and which pairs follow each other, over 28
 * symbols (a-z, digits, anything else, and the word's start and end). The distance of two
 * fingerprints is the sum of their differences; it ranks suggestions.
 */
export function addFingerprint(fp: Uint8Array, word: string): void {
  let from = 28; // start of the word
  for (const ch of word.toLowerCase()) {
    const c = ch.charCodeAt(0);
    const to = c >= 97 && c <= 122 ? c - 96 : c >= 48 && c <= 57 ? 27 : 28;
    fp[to] = 1;
    fp[32 * from + to] = ((fp[32 * from + to] ?? 0) + 1) & 0xff;
    from = to;
  }
  fp[32 * from + 28] = ((fp[32 * from + 28] ?? 0) + 1) & 0xff; // end of the word
}

export function fingerprintDistance(a: Uint8Array, b: Uint8Array): number {
  let d = 0;
  for (let i = 0; i < 1024; i++) d += Math.abs((a[i] ?? 0) - (b[i] ?? 0));
  return d;
}
