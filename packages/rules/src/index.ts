// @hap/rules: HAProxy's rule sets compiled from the configuration and run on a message —
// http-request, http-response, http-after-response actions, the redirect keyword,
// use_backend and use-server. Pure: the proxy supplies the message and the sample env.

export { stickKeyOf, type TrackingEnv } from './actions/stick.ts';
export { RuleError, type RuleErrorCode } from './errors.ts';
export { HTTP_ACTIONS, HttpRuleList, type HttpRuleSet, RuleCompileError } from './http-rules.ts';
export { pageReply, type Reply } from './page-reply.ts';
export { haproxyReason } from './reasons.ts';
export { compileReplyOptions, type ReplySpec, rawReply } from './reply.ts';
export { RedirectRules, type TargetRuleSpec, TargetRules } from './switching.ts';
export {
  type ActionContext,
  type HttpMessage,
  type HttpService,
  newOutcome,
  type RuleCompileContext,
  type RuleOutcome,
  type RuleSpec,
  type ServiceReply,
  type ServiceRequest,
  V_ALLOW,
  V_CONTINUE,
  V_DENY,
  V_REJECT,
  V_REPLY,
  V_SERVICE,
  V_TARPIT,
  V_WAIT,
  type Verdict,
} from './types.ts';
