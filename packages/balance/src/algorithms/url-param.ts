import { findParam, type Range } from '../keys.ts';
import { badArgs } from './args.ts';
import type { Algorithm } from './types.ts';

export interface UrlParamParams {
  readonly name: string;
}

const range: Range = { start: 0, end: 0 };

/**
 * `balance url_param <name> [check_post]`: the value of a query-string parameter; for a
 * POST whose query has no such parameter, the body is searched as a form (HAProxy 2.6
 * does so with or without `check_post`, which is accepted and otherwise ignored, like its
 * old `<max_wait>` number). No parameter: servers take turns.
 */
export const urlParam: Algorithm<UrlParamParams> = {
  name: 'url_param',
  syntax: 'url_param <name> [check_post]',
  reads: 'uri (and method, body)',
  parse(_word, args) {
    const name = args[0];
    if (name === undefined || name === '') badArgs('url_param', 'requires an URL parameter name');
    if (args.length > 1) {
      if (args[1] !== 'check_post')
        badArgs('url_param', `only accepts the 'check_post' modifier (got '${args[1]}')`);
      if (args.length > 3 || (args.length === 3 && !/^\d+$/.test(args[2]!)))
        badArgs('url_param', `unexpected argument '${args[2]}' after 'check_post'`);
    }
    return { name };
  },
  lookup: (hashType) => (hashType === 'consistent' ? 'chash' : 'map'),
  pick(ctx, p, key, avoid) {
    const target = key?.uri;
    if (target === undefined) return ctx.next(avoid);
    const q = target.indexOf('?');
    if (q >= 0 && findParam(target, q + 1, target.length, p.name, false, range))
      return ctx.byHash(ctx.hashOf(target, range.start, range.end), avoid);
    const body = key?.body;
    if (key?.method === 'POST' && body !== undefined && findParam(body, 0, body.length, p.name, true, range))
      return ctx.byHash(ctx.hashOf(body, range.start, range.end), avoid);
    return ctx.next(avoid);
  },
};
