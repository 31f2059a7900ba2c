/**
 * `http-request use-service <name>`: the request is answered by a service of the proxy
 * (HAProxy 2.6 has `prometheus-exporter`, and Lua services). The application says which
 * services exist through the compile context.
 */

import { RuleError } from '../errors.ts';
import { type HttpActionRow, V_SERVICE } from '../types.ts';

export const useServiceRow: HttpActionRow = {
  name: 'use-service',
  compile(args, _param, ctx, label) {
    const name = args[0];
    if (name === undefined) throw new RuleError('HAP_RULE_ARGS', `'${label}' expects a service name.`);
    if (args.length > 1)
      throw new RuleError('HAP_RULE_ARGS', `'${label} ${name}' : unexpected '${args[1]}'.`);
    const service = ctx.service?.(name);
    if (service === undefined)
      throw new RuleError(
        'HAP_RULE_ACTION',
        `'${label} ${name}' is not supported yet by haproxyd's runtime.`,
      );
    return {
      run(_env, _msg, out) {
        out.service = service;
        return V_SERVICE;
      },
    };
  },
};
