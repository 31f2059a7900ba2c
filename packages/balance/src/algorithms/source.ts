import { foldAddress } from '../keys.ts';
import { noArgs } from './args.ts';
import type { Algorithm } from './types.ts';

/**
 * `balance source`: the client address, folded to 32 bits (IPv6: the xor of its four
 * words), picks the server; the hash function of `hash-type` is not used, `avalanche` is.
 * Without an address (a unix socket client), servers take turns.
 */
export const source: Algorithm<null> = {
  name: 'source',
  syntax: 'source',
  reads: 'clientIp',
  parse(word, args) {
    noArgs(word, args);
    return null;
  },
  lookup: (hashType) => (hashType === 'consistent' ? 'chash' : 'map'),
  pick(ctx, _params, key, avoid) {
    const ip = key?.clientIp;
    const folded = ip === undefined ? -1 : foldAddress(ip);
    if (folded < 0) return ctx.next(avoid);
    if (ctx.totUsed === 1) return ctx.byHash(0, avoid);
    return ctx.byHash(ctx.mix(folded), avoid);
  },
};
