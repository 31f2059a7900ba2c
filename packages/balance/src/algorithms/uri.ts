import { pathRange, type Range, uriKeyRange } from '../keys.ts';
import { badArgs, positiveInt } from './args.ts';
import type { Algorithm } from './types.ts';

export interface UriParams {
  /** Hash the query string too. */
  readonly whole: boolean;
  /** Hash at most this many bytes (0: all). */
  readonly len: number;
  /** Hash at most this many directory levels (0: all). */
  readonly depth: number;
  /** Start at the path's first '/', skipping an absolute URI's scheme and authority. */
  readonly pathOnly: boolean;
}

const range: Range = { start: 0, end: 0 };

/** `balance uri [whole] [len <n>] [depth <n>] [path-only]`: the request target, up to the '?' by default. */
export const uri: Algorithm<UriParams> = {
  name: 'uri',
  syntax: 'uri [whole] [len <n>] [depth <n>] [path-only]',
  reads: 'uri',
  parse(_word, args) {
    let whole = false;
    let len = 0;
    let depth = 0;
    let pathOnly = false;
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (a === 'whole') whole = true;
      else if (a === 'path-only') pathOnly = true;
      else if (a === 'len') len = positiveInt('uri', 'len', args[++i]);
      else if (a === 'depth') depth = positiveInt('uri', 'depth', args[++i]);
      else badArgs('uri', `only accepts 'len <n>', 'depth <n>', 'path-only' and 'whole' (got '${a}')`);
    }
    return { whole, len, depth, pathOnly };
  },
  lookup: (hashType) => (hashType === 'consistent' ? 'chash' : 'map'),
  pick(ctx, p, key, avoid) {
    const target = key?.uri;
    if (target === undefined) return ctx.next(avoid);
    if (ctx.totUsed === 1) return ctx.byHash(0, avoid);
    if (p.pathOnly) pathRange(target, range);
    else {
      range.start = 0;
      range.end = target.length;
    }
    uriKeyRange(target, range.start, range.end, p.whole, p.len, p.depth, range);
    return ctx.byHash(ctx.hashOf(target, range.start, range.end), avoid);
  },
};
