/**
 * The runtime API's certificate commands (`show|set|commit|abort|new|del ssl cert`), loaded
 * on their first use: they run on the process's certificate store (runtime-ssl.ts), which
 * answers in HAProxy 2.6's words. A commit changes the certificate of new handshakes only.
 */

import type { CommandContext } from '@hap/runtime-api';
import { LEVEL_RANK } from '@hap/runtime-api';
import { certificateStore } from './runtime-ssl.ts';
import type { StatsHost } from './stats-source.ts';

export type SslCertVerb = 'show' | 'set' | 'commit' | 'abort' | 'new' | 'del';

/** Runs `<verb> ssl cert …` (args are every word, the command's own included). */
export function sslCertCommand(
  host: Pick<StatsHost, 'model'>,
  verb: SslCertVerb,
  args: readonly string[],
  ctx: CommandContext,
): string {
  const store = certificateStore(host.model);
  const file = args[3];
  switch (verb) {
    case 'show':
      // HAProxy refuses a user-level session with this (misleading) sentence
      if (LEVEL_RANK[ctx.level] < LEVEL_RANK.operator) return "Can't allocate memory!\n";
      return store.show(file);
    case 'set':
      return store.set(file, ctx.payload);
    case 'commit':
      return store.commit(file);
    case 'abort':
      return store.abort(file);
    case 'new':
      return store.create(file);
    case 'del':
      return store.delete(file);
  }
}
