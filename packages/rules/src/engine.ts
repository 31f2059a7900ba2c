// What the forwarding engine runs with (verdicts, a fresh rule outcome, error pages as
// replies), without the rule compilers: importing this does not load the sample engine.
// (package.json exports it as "@hap/rules/engine"; everything here is in index.ts too)

export { pageReply, type Reply } from './page-reply.ts';
export {
  newOutcome,
  V_ALLOW,
  V_CONTINUE,
  V_DENY,
  V_REJECT,
  V_REPLY,
  V_SERVICE,
  V_TARPIT,
  V_WAIT,
} from './types.ts';
