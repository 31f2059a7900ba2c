// Rule conditions (HAProxy manual 7.2): `if|unless` followed by an OR of AND groups of
// ACLs, each maybe negated, named or anonymous (`{ … }`).
import { type Acl, compileAcl, PREDEFINED_ACLS } from './acl.ts';
import type { SampleEnv } from './env.ts';
import { SampleError } from './errors.ts';
import type { CompileOptions } from './options.ts';

export interface ConditionTerm {
  negate: boolean;
  acl: string;
  anonymous?: string[];
}

/** OR of AND groups (the shape of @hap/config's ConditionModel). */
export interface ConditionSpec {
  polarity: 'if' | 'unless';
  terms: ConditionTerm[][];
}

export interface Condition {
  test(env: SampleEnv): boolean;
}

/** A named ACL: its lines ORed, as HAProxy does for several `acl` lines of one name. */
class AnyAcl implements Acl {
  private readonly lines: readonly Acl[];

  constructor(lines: readonly Acl[]) {
    this.lines = lines;
  }

  test(env: SampleEnv): boolean {
    const l = this.lines;
    for (let i = 0; i < l.length; i++) if (l[i]!.test(env)) return true;
    return false;
  }
}

class CompiledCondition implements Condition {
  private readonly unless: boolean;
  private readonly groups: readonly (readonly { acl: Acl; negate: boolean }[])[];

  constructor(unless: boolean, groups: { acl: Acl; negate: boolean }[][]) {
    this.unless = unless;
    this.groups = groups;
  }

  test(env: SampleEnv): boolean {
    const groups = this.groups;
    // 'if' with nothing after it is always true, as in HAProxy
    let res = groups.length === 0;
    for (let g = 0; g < groups.length && !res; g++) {
      const terms = groups[g]!;
      let all = true;
      for (let t = 0; t < terms.length; t++) {
        const term = terms[t]!;
        if (term.acl.test(env) === term.negate) {
          all = false;
          break;
        }
      }
      res = all;
    }
    return this.unless ? !res : res;
  }
}

/**
 * Compiles a condition. `named` returns the word lists of every `acl <name> …` line of
 * that name; the predefined ACLs (TRUE, METH_GET, LOCALHOST, …) are known here.
 */
export function compileCondition(
  cond: ConditionSpec,
  named: (name: string) => readonly (readonly string[])[] | undefined,
  opts: CompileOptions,
): Condition {
  const cache = new Map<string, Acl>();
  const resolve = (name: string): Acl => {
    const hit = cache.get(name);
    if (hit) return hit;
    const lines = named(name);
    let acl: Acl;
    if (lines && lines.length > 0) {
      acl =
        lines.length === 1 ? compileAcl(lines[0]!, opts) : new AnyAcl(lines.map((w) => compileAcl(w, opts)));
    } else {
      const pre = PREDEFINED_ACLS.get(name);
      if (!pre) throw new SampleError('HAP_ERR_SAMPLE_NO_ACL', `no such ACL : '${name}'`);
      acl = compileAcl(pre, opts);
    }
    cache.set(name, acl);
    return acl;
  };
  const groups = cond.terms.map((group) =>
    group.map((t) => ({
      negate: t.negate,
      acl: t.anonymous ? compileAcl(t.anonymous, opts) : resolve(t.acl),
    })),
  );
  return new CompiledCondition(cond.polarity === 'unless', groups);
}
