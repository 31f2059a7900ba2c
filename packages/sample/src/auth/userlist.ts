// Userlists (HAProxy manual 3.4): users with a crypt(3) hash or a clear password, and
// groups, built from the words of a `userlist` section, for `http_auth` and
// `http_auth_group`. Checking a hashed password is slow by design (thousands of digest
// rounds): results are kept in a small bounded cache per userlist, keyed by a digest of
// the credentials (HAProxy hashes on every request).
import { createHash } from 'node:crypto';
import { SampleError } from '../errors.ts';
import { crypt, cryptScheme } from './crypt.ts';

export interface Userlist {
  readonly name: string;
  /** HAProxy's warnings for lines it ignores (duplicated users or groups), in order. */
  readonly warnings: readonly string[];
  /** Whether `user` exists and `pass` is its password (HAProxy's check_user). */
  check(user: string, pass: string): boolean;
  /** The groups `user` belongs to; undefined when there is no such user. */
  groupsOf(user: string): ReadonlySet<string> | undefined;
  /** Whether a group of that name is declared. */
  hasGroup(name: string): boolean;
}

interface User {
  readonly name: string;
  readonly pass: string | undefined;
  readonly insecure: boolean;
  readonly groups: Set<string>;
}

/** Credentials checked against hashes, remembered per userlist (most recent last). */
const CACHE_SIZE = 256;

class UserlistImpl implements Userlist {
  readonly name: string;
  readonly warnings: string[] = [];
  readonly users = new Map<string, User>();
  readonly groups = new Set<string>();
  private readonly cache = new Map<string, boolean>();

  constructor(name: string) {
    this.name = name;
  }

  check(user: string, pass: string): boolean {
    const u = this.users.get(user);
    if (!u || u.pass === undefined) return false;
    if (u.insecure) return u.pass === pass;
    const key = createHash('sha256').update(`${user}\0${pass}`, 'latin1').digest('base64');
    const hit = this.cache.get(key);
    if (hit !== undefined) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    // crypt(3) reads the password up to its first NUL, like every C string
    const nul = pass.indexOf('\0');
    const ep = crypt(Buffer.from(nul < 0 ? pass : pass.slice(0, nul), 'latin1'), u.pass);
    const ok = ep !== undefined && ep === u.pass;
    if (this.cache.size >= CACHE_SIZE) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(key, ok);
    return ok;
  }

  groupsOf(user: string): ReadonlySet<string> | undefined {
    return this.users.get(user)?.groups;
  }

  hasGroup(name: string): boolean {
    return this.groups.has(name);
  }
}

/** HAProxy's invalid_char: names take letters, digits, '-', '_', '.' and ':'. */
function invalidChar(s: string): string | undefined {
  for (const c of s) if (!/[A-Za-z0-9_.:-]/.test(c)) return c;
  return undefined;
}

/** Non-empty items of a comma-separated list (strtok). */
function items(s: string): string[] {
  return s.split(',').filter((x) => x !== '');
}

/**
 * Builds a userlist from the words of its section's lines (`group <name> [users <u>,…]`,
 * `user <name> [password <hash>|insecure-password <pw>] [groups <g>,…]`; a leading
 * `userlist <name>` line is skipped). Throws a SampleError (`HAP_ERR_SAMPLE_USERLIST`, with
 * `index` the offending line) worded as HAProxy's alerts, or `HAP_ERR_SAMPLE_UNSUPPORTED` for
 * a hash crypt(3) knows and haproxyd does not compute (bcrypt, yescrypt, DES…). A hash no
 * crypt scheme reads is accepted, as HAProxy does, and never matches.
 */
export function createUserlist(name: string, lines: readonly (readonly string[])[]): Userlist {
  const ul = new UserlistImpl(name);
  function fail(msg: string, index: number): never {
    throw new SampleError('HAP_ERR_SAMPLE_USERLIST', msg, index);
  }
  const userGroups: { user: User; names: string; index: number }[] = [];
  const groupUsers: { group: string; names: string; index: number }[] = [];
  lines.forEach((w, index) => {
    const kw = w[0] ?? '';
    if (kw === '') return;
    if (kw === 'userlist' && index === 0) return;
    const arg = (i: number): string => w[i] ?? '';
    if (kw === 'group') {
      const g = arg(1);
      if (!g) fail(`'group' expects <name> as arguments.`, index);
      const bad = invalidChar(g);
      if (bad !== undefined) fail(`character '${bad}' is not permitted in 'group' name '${g}'.`, index);
      if (ul.groups.has(g)) {
        ul.warnings.push(`ignoring duplicated group '${g}' in userlist '${name}'.`);
        return;
      }
      let users: string | undefined;
      for (let i = 2; arg(i) !== ''; i += 2) {
        if (arg(i) !== 'users') fail(`'group' only supports 'users' option.`, index);
        users = arg(i + 1);
      }
      ul.groups.add(g);
      if (users !== undefined) groupUsers.push({ group: g, names: users, index });
    } else if (kw === 'user') {
      const n = arg(1);
      if (!n) fail(`'user' expects <name> as arguments.`, index);
      if (ul.users.has(n)) {
        ul.warnings.push(`ignoring duplicated user '${n}' in userlist '${name}'.`);
        return;
      }
      let pass: string | undefined;
      let insecure = false;
      let groups: string | undefined;
      for (let i = 2; arg(i) !== ''; i += 2) {
        const o = arg(i);
        if (o === 'password') {
          pass = arg(i + 1);
          insecure = false;
          const { scheme, prefix } = cryptScheme(pass);
          if (scheme === 'unsupported') {
            throw new SampleError(
              'HAP_ERR_SAMPLE_UNSUPPORTED',
              `the encrypted password used for user '${n}' ('${prefix}' scheme) is not supported yet in haproxyd (only $1$, $5$ and $6$ are)`,
              index,
            );
          }
        } else if (o === 'insecure-password') {
          pass = arg(i + 1);
          insecure = true;
        } else if (o === 'groups') groups = arg(i + 1);
        else fail(`'user' only supports 'password', 'insecure-password' and 'groups' options.`, index);
      }
      const u: User = { name: n, pass, insecure, groups: new Set() };
      ul.users.set(n, u);
      if (groups !== undefined) userGroups.push({ user: u, names: groups, index });
    } else fail(`unknown keyword '${kw}' in 'users' section`, index);
  });
  // names are resolved once the section is read (HAProxy's userlist_postinit)
  for (const { user, names, index } of userGroups) {
    for (const g of items(names)) {
      if (!ul.groups.has(g))
        fail(`userlist '${name}': no such group '${g}' specified in user '${user.name}'`, index);
      user.groups.add(g);
    }
  }
  for (const { group, names, index } of groupUsers) {
    for (const n of items(names)) {
      const u = ul.users.get(n);
      if (!u) fail(`userlist '${name}': no such user '${n}' specified in group '${group}'`, index);
      u.groups.add(group);
    }
  }
  return ul;
}
