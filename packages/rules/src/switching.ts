/**
 * Choosing where a request goes: `use_backend` (a fixed name, or a log-format name rendered
 * per request), `use-server`, and the proxy's `redirect` rules (evaluated after its
 * `http-request` rules). The first rule whose condition holds decides.
 */

import {
  type Condition,
  compileCondition,
  compileLogFormat,
  type LogFormat,
  type SampleEnv,
} from '@hap/sample';
import { redirectAction } from './actions/redirect.ts';
import { RuleError } from './errors.ts';
import { RuleCompileError } from './http-rules.ts';
import type { HttpAction, HttpMessage, RuleCompileContext, RuleOutcome, RuleSpec, Verdict } from './types.ts';
import { V_CONTINUE } from './types.ts';

export interface TargetRuleSpec {
  file: string;
  line: number;
  /** The backend (or server) named by the rule; may hold `%[…]` for use_backend. */
  name: string;
  condition: RuleSpec['condition'];
}

interface TargetRule {
  readonly cond: Condition | undefined;
  readonly fixed: string | undefined;
  readonly format: LogFormat | undefined;
}

function specOf(r: TargetRuleSpec, keyword: string): RuleSpec {
  return { file: r.file, line: r.line, ruleSet: keyword, action: r.name, args: [], condition: r.condition };
}

/** `use_backend` rules of a frontend, or `use-server` rules of a backend. */
export class TargetRules {
  private readonly rules: TargetRule[];
  private readonly exists: (name: string) => boolean;

  private constructor(rules: TargetRule[], exists: (name: string) => boolean) {
    this.rules = rules;
    this.exists = exists;
  }

  get length(): number {
    return this.rules.length;
  }

  /**
   * `exists` says whether a name is a target; a fixed name that is not one is reported to
   * `fail` (HAProxy refuses the configuration), a dynamic one is skipped per request.
   */
  static compile(
    keyword: 'use_backend' | 'use-server',
    specs: readonly TargetRuleSpec[],
    ctx: RuleCompileContext,
    exists: (name: string) => boolean,
    fail: (e: RuleCompileError) => void,
  ): TargetRules {
    const out: TargetRule[] = [];
    for (const r of specs) {
      try {
        const opts = { ...ctx, file: r.file, line: r.line };
        const dynamic = keyword === 'use_backend' && r.name.includes('%[');
        const format = dynamic ? compileLogFormat(r.name, opts) : undefined;
        if (!dynamic && !exists(r.name))
          throw new RuleError(
            'HAP_RULE_ARGS',
            keyword === 'use_backend'
              ? `unable to find required use_backend: '${r.name}'.`
              : `unable to find server '${r.name}' referenced in a 'use-server' rule.`,
          );
        const cond = r.condition ? compileCondition(r.condition, (n) => ctx.named(n), opts) : undefined;
        out.push({ cond, fixed: dynamic ? undefined : r.name, format });
      } catch (err) {
        fail(new RuleCompileError(specOf(r, keyword), err as Error));
      }
    }
    return new TargetRules(out, exists);
  }

  /**
   * The target named by the first rule that applies, or undefined (then the default applies).
   * A dynamic name that names no target is undefined too: the later rules are not tried.
   */
  select(env: SampleEnv): string | undefined {
    const rules = this.rules;
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i]!;
      if (r.cond !== undefined && !r.cond.test(env)) continue;
      if (r.fixed !== undefined) return r.fixed;
      // a dynamic name that names no backend ends the rules: the default backend (as HAProxy)
      const name = r.format!.render(env);
      return name !== '' && this.exists(name) ? name : undefined;
    }
    return undefined;
  }
}

/** The `redirect` rules of a proxy (the keyword, not the `http-request` action). */
export class RedirectRules {
  private readonly rules: { cond: Condition | undefined; action: HttpAction; spec: RuleSpec }[];

  private constructor(rules: { cond: Condition | undefined; action: HttpAction; spec: RuleSpec }[]) {
    this.rules = rules;
  }

  get length(): number {
    return this.rules.length;
  }

  /** `specs`: the words after `redirect`, with their condition split off. */
  static compile(
    specs: readonly RuleSpec[],
    ctx: RuleCompileContext,
    fail: (e: RuleCompileError) => void,
  ): RedirectRules {
    const out: { cond: Condition | undefined; action: HttpAction; spec: RuleSpec }[] = [];
    for (const spec of specs) {
      try {
        const opts = { ...ctx, file: spec.file, line: spec.line };
        const action = redirectAction.compile(spec.args, undefined, opts, 'redirect');
        const cond = spec.condition ? compileCondition(spec.condition, (n) => ctx.named(n), opts) : undefined;
        out.push({ cond, action, spec });
      } catch (err) {
        fail(new RuleCompileError(spec, err as Error));
      }
    }
    return new RedirectRules(out);
  }

  run(env: SampleEnv, msg: HttpMessage, out: RuleOutcome): Verdict {
    for (const r of this.rules) {
      if (r.cond !== undefined && !r.cond.test(env)) continue;
      const v = r.action.run(env, msg, out);
      if (v !== V_CONTINUE) {
        out.rule = r.spec;
        return v;
      }
    }
    return V_CONTINUE;
  }
}
