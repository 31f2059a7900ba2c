/**
 * `http-request capture <sample> [ len <n> | id <n> ]` and `http-response capture <sample>
 * id <n>`: the sample, as text cut to the slot's length, goes into one of the frontend's
 * capture slots (what %hr / %hs log). `len` takes the slot the application allotted to this
 * line (in declaration order with the `capture … header` and `declare capture` lines), `id`
 * names a slot.
 */

import { compileSampleExpr, sampleToString } from '@hap/sample';
import { RuleError } from '../errors.ts';
import { type HttpActionRow, V_CONTINUE } from '../types.ts';

function captureRow(response: boolean): HttpActionRow {
  return {
    name: 'capture',
    compile(args, _param, ctx, label) {
      const [sample, kind, n, ...rest] = args;
      if (sample === undefined || (kind !== 'len' && kind !== 'id') || n === undefined || rest.length > 0)
        throw new RuleError(
          'HAP_RULE_ARGS',
          response
            ? `'${label}' expects <expression> id <idx>.`
            : `'${label}' expects <expression> [ 'len' <length> | id <idx> ].`,
        );
      if (response && kind !== 'id')
        throw new RuleError('HAP_RULE_ARGS', `'${label}' expects <expression> id <idx>.`);
      const num = Number(n);
      if (!/^\d+$/.test(n))
        throw new RuleError(
          'HAP_RULE_ARGS',
          `'${label}' : ${kind === 'len' ? 'length' : 'id'} must be a number.`,
        );
      const slots = ctx.captureSlots?.(ctx.file, ctx.line);
      let index: number;
      let len: number;
      if (kind === 'len') {
        if (slots === undefined || slots.line === undefined)
          throw new RuleError('HAP_RULE_ARGS', `'${label}' : 'len' is only allowed in a frontend.`);
        index = slots.line;
        len = num;
      } else {
        const list = response ? slots?.response : slots?.request;
        if (list === undefined || num >= list.length)
          throw new RuleError(
            'HAP_RULE_ARGS',
            `'${label}' : no capture id '${n}' declared in the frontend (see 'declare capture').`,
          );
        index = num;
        len = list[num]!;
      }
      const expr = compileSampleExpr(sample, {
        ...ctx,
        ...(response ? { direction: 'response' as const } : {}),
      });
      return {
        run(env) {
          const c = env.captures;
          if (c === undefined) return V_CONTINUE;
          const v = expr.eval(env);
          if (v === undefined) return V_CONTINUE;
          const text = sampleToString(v);
          (response ? c.res : c.req)[index] = text.length > len ? text.slice(0, len) : text;
          return V_CONTINUE;
        },
      };
    },
  };
}

export const REQUEST_CAPTURE = captureRow(false);
export const RESPONSE_CAPTURE = captureRow(true);
