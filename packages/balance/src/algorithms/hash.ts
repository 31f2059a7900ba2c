import { badArgs } from './args.ts';
import type { Algorithm } from './types.ts';

export interface HashParams {
  /** The sample expression as written; the caller evaluates it and passes `hashKey`. */
  readonly expr: string;
}

/** `balance hash <expr>`: the bytes of a sample expression, which the caller extracts. */
export const hash: Algorithm<HashParams> = {
  name: 'hash',
  syntax: 'hash <expr>',
  reads: 'hashKey',
  parse(_word, args) {
    const expr = args[0];
    if (expr === undefined || expr === '') badArgs('hash', 'requires a sample expression');
    if (args.length > 1) badArgs('hash', `takes no other argument (got '${args[1]}')`);
    return { expr };
  },
  lookup: (hashType) => (hashType === 'consistent' ? 'chash' : 'map'),
  pick(ctx, _p, key, avoid) {
    if (ctx.totUsed === 1) return ctx.byHash(0, avoid);
    const k = key?.hashKey;
    if (k === undefined) return ctx.next(avoid);
    return ctx.byHash(ctx.hashOf(k, 0, k.length), avoid);
  },
};
