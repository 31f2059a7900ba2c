/**
 * The runtime API's map and ACL commands (HAProxy 2.6 management guide 9.3: `show|get|add|
 * del|set|clear|prepare|commit map|acl`), loaded on their first use (runtime-maps-ops.ts).
 * HAProxy 2.6 asks no level for any of them: a `user` session may change maps. Their `help`
 * lines are HAProxy 2.6's.
 */

import type { CommandContext, RuntimeApi } from '@hap/runtime-api';
import type { Kind, MapVerb } from './runtime-maps-ops.ts';
import type { StatsHost } from './stats-source.ts';

const ROWS: readonly (readonly [MapVerb, Kind, string, string])[] = [
  ['add', 'acl', 'add acl [@<ver>] <acl> <pattern>', 'add an acl entry'],
  ['clear', 'acl', 'clear acl [@<ver>] <acl>', 'clear the contents of this acl'],
  ['commit', 'acl', 'commit acl @<ver> <acl>', 'commit the ACL at this version'],
  ['del', 'acl', 'del acl <acl> [<key>|#<ref>]', 'delete acl entries matching <key>'],
  ['get', 'acl', 'get acl <acl> <value>', 'report the patterns matching a sample for an ACL'],
  ['prepare', 'acl', 'prepare acl <acl>', 'prepare a new version for atomic ACL replacement'],
  ['show', 'acl', 'show acl [@<ver>] <acl>]', "report available acls or dump an acl's contents"],
  [
    'add',
    'map',
    'add map [@<ver>] <map> <key> <val>',
    'add a map entry (payload supported instead of key/val)',
  ],
  ['clear', 'map', 'clear map [@<ver>] <map>', 'clear the contents of this map'],
  ['commit', 'map', 'commit map @<ver> <map>', 'commit the map at this version'],
  ['del', 'map', 'del map <map> [<key>|#<ref>]', 'delete map entries matching <key>'],
  ['get', 'map', 'get map <acl> <value>', 'report the keys and values matching a sample for a map'],
  ['prepare', 'map', 'prepare map <acl>', 'prepare a new version for atomic map replacement'],
  ['set', 'map', 'set map <map> [<key>|#<ref>] <value>', 'modify a map entry'],
  ['show', 'map', 'show map [@ver] [map]', "report available maps or dump a map's contents"],
];

/** Registers the map and ACL commands of the process's configuration. */
export function registerMapCommands(api: RuntimeApi, host: Pick<StatsHost, 'model'>): void {
  for (const [verb, kind, usage, help] of ROWS) {
    api.register({
      words: [verb, kind],
      usage,
      help,
      handler: async (args: readonly string[], ctx: CommandContext) =>
        (await import('./runtime-maps-ops.ts')).mapCommand(host.model, verb, kind, args, ctx.payload),
    });
  }
}
