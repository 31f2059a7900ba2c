// Arguments naming a userlist, a stick table, a proxy or a server, resolved at compile time
// as HAProxy's smp_resolve_args does once the configuration is read: a missing or unknown
// name is an error, an empty table or proxy name is the current proxy's, a server named
// without its backend is one of the current proxy.
import type { ArgSpec, ArgVal } from './args.ts';
import { SampleError } from './errors.ts';
import type { CompileOptions } from './options.ts';

/**
 * Checks (and normalizes) the userlist and table arguments of one keyword. `what` names it
 * as HAProxy's messages do: "sample fetch keyword 'x'", "ACL keyword 'x'", "conversion
 * keyword 'y' for sample fetch keyword 'x'". A table argument becomes the table's name, or
 * undefined for the current proxy's table when no default is known.
 */
export function resolveRefs(spec: ArgSpec, args: ArgVal[], opts: CompileOptions, what: string): void {
  const types = spec.types;
  for (let i = 0; i < types.length; i++) {
    const t = types[i];
    if (t === 'usr') {
      const name = args[i] as string | undefined;
      if (name === undefined) continue;
      if (name === '') {
        throw new SampleError('HAP_ERR_SAMPLE_REFERENCE', `missing userlist name in arg ${i + 1} of ${what}`);
      }
      const exists =
        opts.userlistExists?.(name) ?? (opts.userlist ? opts.userlist(name) !== undefined : true);
      if (!exists) {
        throw new SampleError(
          'HAP_ERR_SAMPLE_REFERENCE',
          `unable to find userlist '${name}' referenced in arg ${i + 1} of ${what}`,
        );
      }
    } else if (t === 'be' || t === 'fe') {
      // an absent proxy argument is the current proxy too (HAProxy fills it in, then resolves it)
      const given = (args[i] as string | undefined) ?? (opts.currentProxy !== undefined ? '' : undefined);
      if (given === undefined) continue;
      args[i] = resolveProxy(given, t, i + 1, opts, what);
    } else if (t === 'srv') {
      const given = args[i] as string | undefined;
      if (given === undefined) continue;
      args[i] = resolveServer(given, i + 1, opts, what);
    } else if (t === 'tab') {
      const given = args[i] as string | undefined;
      if (given === undefined) continue;
      const name = given !== '' ? given : opts.defaultTable;
      args[i] = name;
      if (name === undefined) continue;
      if (opts.tableExists && !opts.tableExists(name)) {
        throw new SampleError(
          'HAP_ERR_SAMPLE_REFERENCE',
          `unable to find table '${name}' referenced in arg ${i + 1} of ${what}`,
        );
      }
    }
  }
}

function refError(message: string): never {
  throw new SampleError('HAP_ERR_SAMPLE_REFERENCE', message);
}

/** A `<backend>` or `<frontend>` argument: the proxy's name ('' is the current proxy). */
function resolveProxy(
  given: string,
  t: 'be' | 'fe',
  pos: number,
  opts: CompileOptions,
  what: string,
): string {
  const cap = t === 'be' ? 'backend' : 'frontend';
  if (given === '') {
    const cur = opts.currentProxy;
    if (cur === undefined) return given;
    const caps = opts.proxyCaps?.(cur);
    if (caps !== undefined && !caps[cap]) {
      refError(`proxy '${cur}', referenced in arg ${pos} of ${what}, has not ${cap} capability`);
    }
    return cur;
  }
  if (opts.proxyCaps && opts.proxyCaps(given)?.[cap] !== true) {
    refError(`unable to find ${cap} '${given}' referenced in arg ${pos} of ${what}`);
  }
  return given;
}

/** A `[<backend>/]<server>` argument: `backend/server`, the backend being the current proxy when not given. */
function resolveServer(given: string, pos: number, opts: CompileOptions, what: string): string {
  const slash = given.indexOf('/');
  let be = slash < 0 ? opts.currentProxy : given.slice(0, slash);
  const srv = slash < 0 ? given : given.slice(slash + 1);
  if (given === '') refError(`missing server name in arg ${pos} of ${what}`);
  if (be === undefined) return given;
  if (opts.proxyCaps) {
    if (slash >= 0 && opts.proxyCaps(be)?.backend !== true) {
      refError(`unable to find proxy '${be}' referenced in arg ${pos} of ${what}`);
    }
    if (opts.serverExists && !opts.serverExists(be, srv)) {
      refError(`unable to find server '${srv}' in proxy '${be}', referenced in arg ${pos} of ${what}`);
    }
  }
  be = `${be}/${srv}`;
  return be;
}
