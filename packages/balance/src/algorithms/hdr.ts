import { domainRange, firstValueRange, type Range } from '../keys.ts';
import { badArgs, parenArg } from './args.ts';
import type { Algorithm } from './types.ts';

export interface HdrParams {
  /** Header name (compared without case by the caller's `header()`). */
  readonly name: string;
  readonly domainOnly: boolean;
}

const range: Range = { start: 0, end: 0 };

/**
 * `balance hdr(<name>) [use_domain_only]`: the first value of a request header; with
 * `use_domain_only`, only the label before the top-level domain. Absent or empty: servers
 * take turns.
 */
export const hdr: Algorithm<HdrParams> = {
  name: 'hdr',
  syntax: 'hdr(<name>) [use_domain_only]',
  reads: 'header(name)',
  parse(word, args) {
    const name = parenArg(word, 'hdr', 'name');
    if (name === undefined) badArgs('hdr', 'requires an http header field name: hdr(<name>)');
    if (args.length > 1 || (args.length === 1 && args[0] !== 'use_domain_only'))
      badArgs('hdr', `only accepts the 'use_domain_only' modifier (got '${args[args.length - 1]}')`);
    return { name, domainOnly: args.length === 1 };
  },
  lookup: (hashType) => (hashType === 'consistent' ? 'chash' : 'map'),
  pick(ctx, p, key, avoid) {
    const header = key?.header;
    if (header === undefined) return ctx.next(avoid);
    if (ctx.totUsed === 1) return ctx.byHash(0, avoid);
    const value = header(p.name);
    if (value === undefined) return ctx.next(avoid);
    firstValueRange(value, range);
    if (range.end === range.start) return ctx.next(avoid);
    if (p.domainOnly) domainRange(value, range.start, range.end, range);
    return ctx.byHash(ctx.hashOf(value, range.start, range.end), avoid);
  },
};
