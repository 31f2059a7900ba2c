// Rule conditions (HAProxy manual 7.2): `if|unless` followed by an OR of AND groups of
// ACLs, each maybe negated, named or anonymous (`{ … }`).
import {
  type AclResult,
  compileAclFrom,
  FAIL,
  MISS,
  negate,
  PASS,
  PREDEFINED_ACLS,
  type TriAcl,
  triToBool,
} from './acl.ts';
import type { SampleEnv } from './env.ts';
import { SampleError } from './errors.ts';
import type { CompileOptions } from './options.ts';
import { type InlineSource, PATTERN_REFS } from './pattern/ref.ts';

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
  /**
   * Whether the rule applies. When HAProxy's answer is "missing data" (an ACL on a payload
   * that is not final could still change), it is false whatever the polarity, and
   * `env.missed` is set: the rule must wait for more data (tcp-request content).
   */
  test(env: SampleEnv): boolean;
}

/** A named ACL: its lines ORed, as HAProxy does for several `acl` lines of one name. */
class AnyAcl implements TriAcl {
  private readonly lines: readonly TriAcl[];

  constructor(lines: readonly TriAcl[]) {
    this.lines = lines;
  }

  test(env: SampleEnv): boolean {
    return triToBool(env, this.test3(env));
  }

  test3(env: SampleEnv): AclResult {
    const l = this.lines;
    let r: AclResult = FAIL;
    for (let i = 0; i < l.length && r !== PASS; i++) r = (r | l[i]!.test3(env)) as AclResult;
    return r;
  }
}

class CompiledCondition implements Condition {
  private readonly unless: boolean;
  private readonly groups: readonly (readonly { acl: TriAcl; negate: boolean }[])[];

  constructor(unless: boolean, groups: { acl: TriAcl; negate: boolean }[][]) {
    this.unless = unless;
    this.groups = groups;
  }

  test(env: SampleEnv): boolean {
    const groups = this.groups;
    // 'if' with nothing after it is always true, as in HAProxy
    if (groups.length === 0) return !this.unless;
    const saved = env.missed === true;
    // OR of AND groups, three-valued (acl_exec_cond)
    let cond: AclResult = FAIL;
    for (let g = 0; g < groups.length && cond !== PASS; g++) {
      const terms = groups[g]!;
      let suite: AclResult = PASS;
      for (let t = 0; t < terms.length; t++) {
        const term = terms[t]!;
        const r = term.acl.test3(env);
        suite = (suite & (term.negate ? negate(r) : r)) as AclResult;
        if (suite !== PASS) break;
      }
      cond = (cond | suite) as AclResult;
    }
    env.missed = saved || cond === MISS;
    if (cond === MISS) return false;
    return (cond === PASS) !== this.unless;
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
  const cache = new Map<string, TriAcl>();
  const resolve = (name: string): TriAcl => {
    const hit = cache.get(name);
    if (hit) return hit;
    const lines = named(name);
    let acl: TriAcl;
    if (lines && lines.length > 0) {
      acl =
        lines.length === 1
          ? compileTri(lines[0]!, opts, named$(lines[0]!, opts))
          : new AnyAcl(lines.map((w) => compileTri(w, opts, named$(w, opts))));
    } else {
      const pre = PREDEFINED_ACLS.get(name);
      if (!pre) throw new SampleError('HAP_ERR_SAMPLE_NO_ACL', `no such ACL : '${name}'`);
      // HAProxy makes a predefined ACL once per proxy, where it is first used
      const key = `predefined\0${opts.defaultTable ?? opts.file}\0${name}`;
      acl = compileTri(pre, opts, { key, file: opts.file, line: opts.line });
    }
    cache.set(name, acl);
    return acl;
  };
  const groups = cond.terms.map((group) =>
    group.map((t) => ({
      negate: t.negate,
      acl: t.anonymous
        ? compileTri(t.anonymous, opts, { key: t.anonymous, file: opts.file, line: opts.line })
        : resolve(t.acl),
    })),
  );
  return new CompiledCondition(cond.polarity === 'unless', groups);
}

function compileTri(words: readonly string[], opts: CompileOptions, src: InlineSource): TriAcl {
  return compileAclFrom(words, opts, src) as TriAcl;
}

/** A named ACL line's reference: at the line declared for it (its `acl` line), else the rule's. */
function named$(words: readonly string[], opts: CompileOptions): InlineSource {
  const at = PATTERN_REFS.declaredAt(words);
  return { key: words, file: at?.file ?? opts.file, line: at?.line ?? opts.line };
}
