import type { Slot } from '../slot.ts';
import { badArgs, parenArg } from './args.ts';
import type { Algorithm } from './types.ts';

export interface RandomParams {
  /** How many servers are drawn; the least loaded of them (per unit of weight) is taken. */
  readonly draws: number;
}

/**
 * `balance random` / `random(<draws>)`: random points on the consistent-hashing ring,
 * `draws` of them (default 2, "power of two choices"); the least loaded server drawn
 * wins. A winner at its maxconn means none (the request waits in the backend's queue).
 */
export const random: Algorithm<RandomParams> = {
  name: 'random',
  syntax: 'random[(<draws>)]',
  reads: 'the random source, served counts',
  parse(word, args) {
    if (args.length > 0) badArgs('random', `unexpected argument '${args[0]}' (write random(<draws>))`);
    const arg = parenArg(word, 'random', 'draws');
    if (arg === undefined) return { draws: 2 };
    if (!/^\d+$/.test(arg) || Number(arg) < 1 || !Number.isSafeInteger(Number(arg)))
      badArgs('random', `number of draws must be an integer, at least 1 (got '${arg}')`);
    return { draws: Number(arg) };
  },
  lookup: () => 'chash',
  pick(ctx, p, _key, avoid) {
    let curr: Slot | null = null;
    let draws = p.draws;
    do {
      const prev: Slot | null = curr;
      curr = ctx.byHash(ctx.random() >>> 0, avoid);
      if (curr === null) break;
      // keep the one with the least served per unit of weight (the later draw on a tie)
      if (
        prev !== null &&
        prev !== curr &&
        curr.server.served * prev.curEweight > prev.server.served * curr.curEweight
      )
        curr = prev;
    } while (--draws > 0);
    if (curr?.full()) return null;
    return curr;
  },
};
