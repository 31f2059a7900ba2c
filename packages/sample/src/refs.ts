// Arguments naming a userlist or a stick table, resolved at compile time as HAProxy's
// smp_resolve_args does once the configuration is read: a missing or unknown name is an
// error, an empty table name is the current proxy's table.
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
