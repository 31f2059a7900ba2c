/** User and group names as the system knows them (/etc/passwd, /etc/group). */

import { readFileSync } from 'node:fs';

function names(path: string): Set<string> {
  const out = new Set<string>();
  try {
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      const name = line.split(':')[0];
      if (name) out.add(name);
    }
  } catch {
    // unreadable: nothing known
  }
  return out;
}

let users: Set<string> | undefined;
let groups: Set<string> | undefined;

export function userExists(name: string): boolean {
  users ??= names('/etc/passwd');
  return users.has(name);
}

export function groupExists(name: string): boolean {
  groups ??= names('/etc/group');
  return groups.has(name);
}
