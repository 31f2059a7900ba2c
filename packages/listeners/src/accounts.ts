/**
 * User and group names of the system, for the `user`/`group` options of UNIX sockets:
 * read from /etc/passwd and /etc/group (no NSS: as HAProxy in a chroot would see them).
 */
import { readFile } from 'node:fs/promises';

async function lookup(file: string, name: string, field: number): Promise<number> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return -1;
  }
  for (const line of text.split('\n')) {
    const cols = line.split(':');
    if (cols[0] !== name) continue;
    const id = Number(cols[field]);
    return Number.isInteger(id) && id >= 0 ? id : -1;
  }
  return -1;
}

/** uid of a user name from `passwdFile`, -1 when unknown. */
export function userId(name: string, passwdFile = '/etc/passwd'): Promise<number> {
  return lookup(passwdFile, name, 2);
}

/** gid of a group name from `groupFile`, -1 when unknown. */
export function groupId(name: string, groupFile = '/etc/group'): Promise<number> {
  return lookup(groupFile, name, 2);
}
