import { noArgs } from './args.ts';
import type { Algorithm } from './types.ts';

/** `balance first`: the server with the lowest id below its maxconn. */
export const first: Algorithm<null> = {
  name: 'first',
  syntax: 'first',
  reads: 'served counts and maxconn',
  parse(word, args) {
    noArgs(word, args);
    return null;
  },
  lookup: () => 'fas',
  pick: (ctx, _params, _key, avoid) => ctx.next(avoid),
};
