import { BalanceError } from '../errors.ts';

/** Throws HAP_ERR_BALANCE_ARGS with the keyword in front: `balance <keyword>: <what>`. */
export function badArgs(keyword: string, what: string): never {
  throw new BalanceError('HAP_ERR_BALANCE_ARGS', `balance ${keyword}: ${what}`);
}

/** For the algorithms that take no argument. */
export function noArgs(word: string, args: readonly string[]): void {
  if (args.length > 0) badArgs(word, `unexpected argument '${args[0]}' (${word} takes no argument)`);
}

/**
 * A parenthesised argument: `name(<value>)` → value, `name` → undefined. Throws when the
 * parenthesis is not closed at the end of the word or holds nothing.
 */
export function parenArg(word: string, name: string, what: string): string | undefined {
  if (word === name) return undefined;
  if (!word.startsWith(`${name}(`) || !word.endsWith(')') || word.length === name.length + 2)
    badArgs(name, `expected ${name}(<${what}>) (got '${word}')`);
  return word.slice(name.length + 1, -1);
}

/** A positive decimal integer, else throws naming the option. */
export function positiveInt(keyword: string, option: string, value: string | undefined): number {
  if (
    value === undefined ||
    !/^\d+$/.test(value) ||
    Number(value) <= 0 ||
    !Number.isSafeInteger(Number(value))
  )
    badArgs(keyword, `'${option}' expects a positive integer (got '${value ?? ''}')`);
  return Number(value);
}
