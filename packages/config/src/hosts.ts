/**
 * Host names are resolved by the runtime; the checker only knows the names a
 * machine resolves without the network (/etc/hosts and `localhost`), like a
 * `-c` run on a host with no DNS.
 */

import { readFileSync } from 'node:fs';

let cache: Set<string> | undefined;

function loadHosts(): Set<string> {
  const names = new Set<string>(['localhost', 'localhost.localdomain', 'ip6-localhost', 'ip6-loopback']);
  try {
    for (const line of readFileSync('/etc/hosts', 'utf8').split('\n')) {
      const words = line.replace(/#.*/, '').trim().split(/\s+/);
      for (let i = 1; i < words.length; i++) names.add(words[i]!.toLowerCase());
    }
  } catch {
    // no /etc/hosts: only the built-in names
  }
  return names;
}

export function isKnownHost(name: string): boolean {
  cache ??= loadHosts();
  return cache.has(name.toLowerCase());
}
