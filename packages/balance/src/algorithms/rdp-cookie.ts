import { type Range, rdpCookieRange } from '../keys.ts';
import { badArgs, parenArg } from './args.ts';
import type { Algorithm } from './types.ts';

export interface RdpCookieParams {
  readonly name: string;
}

const range: Range = { start: 0, end: 0 };

/**
 * `balance rdp-cookie` / `rdp-cookie(<name>)`: the value of the RDP cookie (default
 * `mstshash`) in the connection request. Absent: servers take turns.
 */
export const rdpCookie: Algorithm<RdpCookieParams> = {
  name: 'rdp-cookie',
  syntax: 'rdp-cookie[(<name>)]',
  reads: 'payload',
  parse(word, args) {
    if (args.length > 0) badArgs('rdp-cookie', `unexpected argument '${args[0]}'`);
    return { name: parenArg(word, 'rdp-cookie', 'name') ?? 'mstshash' };
  },
  lookup: (hashType) => (hashType === 'consistent' ? 'chash' : 'map'),
  pick(ctx, p, key, avoid) {
    const payload = key?.payload;
    if (payload === undefined || !rdpCookieRange(payload, p.name, range) || range.end === range.start)
      return ctx.next(avoid);
    if (ctx.totUsed === 1) return ctx.byHash(0, avoid);
    return ctx.byHash(ctx.hashOf(payload, range.start, range.end), avoid);
  },
};
