/**
 * The runtime API's TLS commands (`show|set|commit|abort|new|del ssl cert`,
 * `show|add|del ssl crt-list`, `show|set|commit|abort|new|del ssl ca-file` and `crl-file`,
 * `show|set ssl ocsp-response`), loaded on their first use: they run on the process's
 * certificate store (runtime-ssl.ts), which answers in HAProxy 2.6's words. A commit, an
 * added or a deleted crt-list line changes new handshakes only.
 */

import type { CommandContext } from '@hap/runtime-api';
import { LEVEL_RANK } from '@hap/runtime-api';
import { certIdDer, type OcspCertId } from '@hap/ssl';
import { certificateStore, ocspResponses } from './runtime-ssl.ts';
import type { StatsHost } from './stats-source.ts';

export type SslCertVerb = 'show' | 'set' | 'commit' | 'abort' | 'new' | 'del';
export type SslCaVerb = SslCertVerb;
export type SslCrtListVerb = 'show' | 'add' | 'del';

/** HAProxy refuses a user-level session these with a (misleading) sentence of its own. */
const NOT_OPERATOR = "Can't allocate memory!\n";

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
      if (LEVEL_RANK[ctx.level] < LEVEL_RANK.operator) return NOT_OPERATOR;
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

/** Runs `<verb> ssl crt-list …`. */
export function sslCrtListCommand(
  host: Pick<StatsHost, 'model'>,
  verb: SslCrtListVerb,
  args: readonly string[],
  ctx: CommandContext,
): string {
  const lists = certificateStore(host.model).crtLists;
  switch (verb) {
    case 'show':
      return lists.show(args.slice(3));
    case 'add':
      return lists.add(args[3], args[4], ctx.payload);
    case 'del':
      return lists.delete(args[3], args[4]);
  }
}

/** Runs `<verb> ssl ca-file …` or `<verb> ssl crl-file …`. */
export function sslCaCommand(
  host: Pick<StatsHost, 'model'>,
  kind: 'ca' | 'crl',
  verb: SslCaVerb,
  args: readonly string[],
  ctx: CommandContext,
): string {
  const files = certificateStore(host.model).caFiles;
  const file = args[3];
  switch (verb) {
    case 'show':
      if (LEVEL_RANK[ctx.level] < LEVEL_RANK.operator) return NOT_OPERATOR;
      return files.show(kind, file);
    case 'set':
      return files.set(kind, file, ctx.payload);
    case 'commit':
      return files.commit(kind, file);
    case 'abort':
      return files.abort(kind, file);
    case 'new':
      return files.create(kind, file);
    case 'del':
      return files.delete(kind, file);
  }
}

/** Longest certificate ID `show ssl ocsp-response` takes, in hex digits. */
const OCSP_ID_MAX_HEX = 256;

/** One certificate's stapling entry, as `show ssl ocsp-response` lists it. */
function ocspEntry(key: string, id: OcspCertId): string {
  const hex = (b: Buffer) => b.toString('hex').toUpperCase();
  return (
    `Certificate ID key : ${key}\n Certificate ID:\n` +
    `   Issuer Name Hash: ${hex(id.issuerNameHash)}\n   Issuer Key Hash: ${hex(id.issuerKeyHash)}\n` +
    `   Serial Number: ${id.serialNumber}\n`
  );
}

/**
 * `show ssl ocsp-response [<id>]` and `set ssl ocsp-response <base64>` over the responses
 * the bind lines staple (runtime-ssl.ts): the list of certificate IDs, and a new response
 * checked as HAProxy checks it, then stapled for the certificate its ID names.
 */
export function sslOcspCommand(
  host: Pick<StatsHost, 'model'>,
  verb: 'show' | 'set',
  args: readonly string[],
  ctx: CommandContext,
): string {
  const responses = ocspResponses(host.model);
  if (verb === 'show') {
    const slots = responses.list();
    const id = args[3];
    if (id === undefined || id === '') {
      if (slots.length === 0) return '';
      // HAProxy's tree of responses is ordered by the certificate IDs' bytes
      const keyed = slots.map((s) => ({ key: certIdDer(s.certId).toString('hex'), id: s.certId }));
      keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      return `# Certificate IDs\n${keyed.map((k) => ocspEntry(k.key, k.id)).join('')}`;
    }
    if (id.length > OCSP_ID_MAX_HEX) return "'show ssl ocsp-response' received a too big key.\n";
    const slot = slots.find((s) => certIdDer(s.certId).toString('hex') === id.toLowerCase());
    if (slot === undefined) return 'Certificate ID does not match any certificate.\n';
    // HAProxy prints OpenSSL's text dump of the response (`openssl ocsp -text`)
    return "'show ssl ocsp-response <id>' (the dump of one response) is not supported yet by haproxyd.\n";
  }
  const text = (ctx.payload ?? args[3] ?? '').replace(/[\r\n]/g, '');
  if (text === '') return "'set ssl ocsp-response' expects response in base64 encoding.\n";
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text))
    return "'set ssl ocsp-response' received invalid base64 encoded response.\n";
  const refused = responses.setOcspResponse(Buffer.from(text, 'base64'));
  return refused === undefined ? 'OCSP Response updated!\n' : `${refused}.\n`;
}
