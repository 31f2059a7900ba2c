/**
 * The runtime API's TLS ticket key commands, `show tls-keys [<id>|*]` and
 * `set ssl tls-key <id> <key>`, over the `tls-ticket-keys` files the bind lines share
 * (runtime-ssl.ts). A reference is `#<id>` or the file's path; ids are HAProxy's. Loaded on
 * first use.
 */

import type { TicketKeyFile } from '@hap/ssl';
import { ticketKeyFiles } from './runtime-ssl.ts';
import type { StatsHost } from './stats-source.ts';

function find(files: readonly TicketKeyFile[], ref: string): number {
  if (ref.startsWith('#')) {
    const id = Number(ref.slice(1));
    return Number.isInteger(id) && id >= 0 && id < files.length ? id : -1;
  }
  return files.findIndex((f) => f.path === ref);
}

function secrets(id: number, f: TicketKeyFile): string {
  let out = `# ${id} (${f.path})\n`;
  f.keys.forEach((k, i) => {
    out += `${id}.${i} ${k.toString('base64')}\n`;
  });
  return out;
}

/** `show tls-keys`: the files with their ids; with `*` or a reference, their keys too. */
export function showTlsKeys(host: Pick<StatsHost, 'model'>, args: readonly string[]): string {
  const files = ticketKeyFiles(host.model);
  const ref = args[2];
  if (ref === undefined || ref === '') {
    return `# id (file)\n${files.map((f, id) => `${id} (${f.path})\n`).join('')}`;
  }
  if (ref === '*') return `# id secret\n${files.map((f, id) => secrets(id, f)).join('')}`;
  const id = find(files, ref);
  if (id < 0) return "'show tls-keys' unable to locate referenced filename\n";
  return `# id secret\n${secrets(id, files[id]!)}`;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** `set ssl tls-key <ref> <base64 key>`: the key becomes the newest; tickets are sealed with the one before it. */
export function setTlsKey(host: Pick<StatsHost, 'model'>, args: readonly string[]): string {
  const ref = args[3];
  const text = args[4];
  if (ref === undefined || ref === '' || text === undefined || text === '') {
    return "'set ssl tls-key' expects a filename and the new TLS key in base64 encoding.\n";
  }
  const files = ticketKeyFiles(host.model);
  const id = find(files, ref);
  if (id < 0) return "'set ssl tls-key' unable to locate referenced filename\n";
  if (!BASE64.test(text)) return "'set ssl tls-key' received invalid base64 encoded TLS key.\n";
  if (files[id]!.push(Buffer.from(text, 'base64')) !== undefined) {
    return "'set ssl tls-key' received a key of wrong size.\n";
  }
  return 'TLS ticket key updated!\n';
}
