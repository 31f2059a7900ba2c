import { readFileSync } from 'node:fs';
import { DaemonError } from './errors.ts';
import { type ProgramOption, prefix } from './pidfile.ts';
import { errnoOf, reasonOf } from './sys.ts';

/** The `global` keywords `user`/`uid` and `group`/`gid`. Give a name or a number, not both. */
export interface IdentityOptions extends ProgramOption {
  user?: string;
  uid?: number;
  group?: string;
  gid?: number;
  /** Where names are looked up (default `/etc/passwd`, `/etc/group`). */
  passwdFile?: string;
  groupFile?: string;
}

/** Numeric identity; `null` means "leave as it is". */
export interface Identity {
  uid: number | null;
  gid: number | null;
}

export interface DropPrivilegesResult extends Identity {
  /** Warnings in HAProxy's words (supplementary groups that could not be dropped). */
  warnings: string[];
}

function checkId(kind: 'uid' | 'gid', value: number | undefined): number | null {
  if (value === undefined) return null;
  if (!Number.isSafeInteger(value) || value < 0 || value > 0xffff_fffe) {
    throw new DaemonError('HAP_ERR_INVALID_ARG', `${kind}: invalid value ${String(value)}`);
  }
  return value;
}

// Field 3 (the id) of the line whose field 1 is `name`, in a passwd(5)/group(5) file.
function lookup(file: string, name: string): number | null {
  const text = readFileSync(file, 'utf8');
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(':');
    if (fields[0] !== name) continue;
    const id = Number(fields[2]);
    return Number.isSafeInteger(id) && id >= 0 ? id : null;
  }
  return null;
}

function resolveName(kind: 'user' | 'group', name: string, file: string, options: IdentityOptions): number {
  let id: number | null;
  try {
    id = lookup(file, name);
  } catch (err) {
    throw new DaemonError(
      kind === 'user' ? 'HAP_ERR_UNKNOWN_USER' : 'HAP_ERR_UNKNOWN_GROUP',
      `${prefix(options)} Cannot find ${kind} id for '${name}': cannot read ${file}: ${reasonOf(err)}.`,
      { errno: errnoOf(err), syscall: 'open', cause: err },
    );
  }
  if (id === null) {
    throw new DaemonError(
      kind === 'user' ? 'HAP_ERR_UNKNOWN_USER' : 'HAP_ERR_UNKNOWN_GROUP',
      `${prefix(options)} Cannot find ${kind} id for '${name}': no such ${kind} in ${file}.`,
    );
  }
  return id;
}

/**
 * Turns `user`/`group` names into ids, reading `/etc/passwd` and `/etc/group` (files
 * only: NSS sources such as LDAP are not consulted). Call it before `chrootTo()`: inside
 * the jail those files are usually absent. Throws `HAP_ERR_UNKNOWN_USER` /
 * `HAP_ERR_UNKNOWN_GROUP` for a name that is not there, `HAP_ERR_INVALID_ARG` when a name
 * and a number are both given or a number is out of range.
 */
export function resolveIdentity(options: IdentityOptions): Identity {
  if (options.user !== undefined && options.uid !== undefined) {
    throw new DaemonError('HAP_ERR_INVALID_ARG', "identity: give 'user' or 'uid', not both");
  }
  if (options.group !== undefined && options.gid !== undefined) {
    throw new DaemonError('HAP_ERR_INVALID_ARG', "identity: give 'group' or 'gid', not both");
  }
  const uid =
    options.user !== undefined
      ? resolveName('user', options.user, options.passwdFile ?? '/etc/passwd', options)
      : checkId('uid', options.uid);
  const gid =
    options.group !== undefined
      ? resolveName('group', options.group, options.groupFile ?? '/etc/group', options)
      : checkId('gid', options.gid);
  return { uid, gid };
}

/**
 * Switches to the configured identity, in this order: supplementary groups dropped
 * (`process.setgroups([])`), then `process.setgid(gid)`, then `process.setuid(uid)` —
 * the group first, since after setuid the process may no longer change it. Names are
 * resolved first with `resolveIdentity()` (so do it, or pass numbers, before a chroot).
 *
 * Supplementary groups are dropped whenever a gid or uid is set and the process runs as
 * root; HAProxy 2.6 only does it when a gid is set, which leaves root's supplementary
 * groups to a process that sets only `user`. Unprivileged and a gid set: the attempt
 * fails and a warning is returned, in HAProxy's words. Nothing set: nothing happens.
 *
 * Throws `HAP_ERR_SETGID` ("[haproxyd.main()] Cannot set gid <n>: <reason>.") or
 * `HAP_ERR_SETUID` ("... Cannot set uid <n>: ..."), with the errno (EPERM when not root),
 * plus the errors of `resolveIdentity()`.
 */
export function dropPrivileges(options: IdentityOptions): DropPrivilegesResult {
  const { uid, gid } = resolveIdentity(options);
  const warnings: string[] = [];
  const privileged = process.geteuid?.() === 0;

  if ((gid !== null || (uid !== null && privileged)) && typeof process.setgroups === 'function') {
    try {
      process.setgroups([]);
    } catch {
      if (gid !== null) {
        warnings.push(
          `${prefix(options)} Failed to drop supplementary groups. Using 'gid'/'group'` +
            ` without 'uid'/'user' is generally useless.`,
        );
      }
    }
  }
  if (gid !== null) {
    try {
      process.setgid!(gid);
    } catch (err) {
      throw new DaemonError('HAP_ERR_SETGID', `${prefix(options)} Cannot set gid ${gid}: ${reasonOf(err)}.`, {
        errno: errnoOf(err),
        syscall: 'setgid',
        cause: err,
      });
    }
  }
  if (uid !== null) {
    try {
      process.setuid!(uid);
    } catch (err) {
      throw new DaemonError('HAP_ERR_SETUID', `${prefix(options)} Cannot set uid ${uid}: ${reasonOf(err)}.`, {
        errno: errnoOf(err),
        syscall: 'setuid',
        cause: err,
      });
    }
  }
  return { uid, gid, warnings };
}
