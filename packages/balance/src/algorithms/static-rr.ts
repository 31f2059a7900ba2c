import { noArgs } from './args.ts';
import type { Algorithm } from './types.ts';

/** `balance static-rr`: servers take turns by weight over a precomputed map; weights are fixed. */
export const staticRr: Algorithm<null> = {
  name: 'static-rr',
  syntax: 'static-rr',
  reads: 'nothing',
  parse(word, args) {
    noArgs(word, args);
    return null;
  },
  lookup: () => 'map',
  pick: (ctx, _params, _key, avoid) => ctx.next(avoid),
};
