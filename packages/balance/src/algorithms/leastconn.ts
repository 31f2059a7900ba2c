import { noArgs } from './args.ts';
import type { Algorithm } from './types.ts';

/** `balance leastconn`: the server with the fewest requests per unit of weight; equals take turns. */
export const leastconn: Algorithm<null> = {
  name: 'leastconn',
  syntax: 'leastconn',
  reads: 'served counts (taken / released)',
  parse(word, args) {
    noArgs(word, args);
    return null;
  },
  lookup: () => 'fwlc',
  pick: (ctx, _params, _key, avoid) => ctx.next(avoid),
};
