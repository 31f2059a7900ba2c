import { noArgs } from './args.ts';
import type { Algorithm } from './types.ts';

/** `balance roundrobin`: servers take turns by weight; weights may change on the fly (slow start). */
export const roundrobin: Algorithm<null> = {
  name: 'roundrobin',
  syntax: 'roundrobin',
  reads: 'nothing',
  parse(word, args) {
    noArgs(word, args);
    return null;
  },
  lookup: () => 'fwrr',
  pick: (ctx, _params, _key, avoid) => ctx.next(avoid),
};
