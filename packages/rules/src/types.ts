import type { CompileOptions, ConditionSpec, HttpMessageView, SampleEnv } from '@hap/sample';
import type { StickTable } from '@hap/stick';
import type { Reply, ReplySpec } from './reply.ts';

/** A rule as the configuration gives it (the shape of @hap/config's RuleModel). */
export interface RuleSpec {
  file: string;
  line: number;
  /** `http-request`, `http-response`, `http-after-response`, `tcp-request connection`, … */
  ruleSet: string;
  action: string;
  args: readonly string[];
  condition: ConditionSpec | undefined;
}

/** What compiling rules needs from the proxy that holds them. */
export interface RuleCompileContext extends Omit<CompileOptions, 'file' | 'line'> {
  /** A stick table by name; undefined asks for the proxy's own (for `track-sc*`). */
  stickTable?(name: string | undefined): StickTable | undefined;
  /** Word lists of every `acl <name>` line of the proxy with that name. */
  named(name: string): readonly (readonly string[])[] | undefined;
  /** The bytes of an `errorfile`-shaped file read for a reply (throws with a message when it cannot be read). */
  loadErrorFile(path: string, status: number): Buffer;
  /** The page of an `http-errors` section for `status`: undefined when the section has none, null when there is no such section. */
  httpErrors(name: string, status: number): Buffer | undefined | null;
  /** The service `use-service <name>` names (undefined: none by that name). */
  service?(name: string): HttpService | undefined;
  /**
   * The frontend's capture slots seen from the rule at `file:line`: the length of each request
   * and response slot, and the slot its own `capture … len` line was given (undefined: none,
   * e.g. in a backend). Absent: no capture slot anywhere.
   */
  captureSlots?(
    file: string,
    line: number,
  ): { request: readonly number[]; response: readonly number[]; line: number | undefined } | undefined;
}

/** The compile context of one rule: the proxy's, plus the rule's file and line. */
export interface ActionContext extends RuleCompileContext {
  file: string;
  line: number;
}

/** What a rule list decided. */
export const V_CONTINUE = 0;
/** `allow`: the remaining rules of the list are skipped, processing goes on. */
export const V_ALLOW = 1;
/** `deny`: the request (or response) is refused with `outcome.status` / `outcome.reply`, the connection closes. */
export const V_DENY = 2;
/** `return`, `redirect`, `auth`: answered by the proxy; the connection may stay open. */
export const V_REPLY = 3;
/** `tarpit`: held for `timeout tarpit`, then answered with `outcome.status`. */
export const V_TARPIT = 4;
/** `reject` (and `silent-drop`): the connection is closed without a response. */
export const V_REJECT = 5;
/**
 * A condition read data that may still change (tcp-request content on a partial payload):
 * the list stops here and is evaluated again when more data comes (HAProxy's "missing data").
 */
export const V_WAIT = 6;
/** `tcp-request … accept`: the remaining rules of the list are skipped. */
export const V_ACCEPT = V_ALLOW;
/** `use-service`: the request is handed to the service in `outcome.service`, which answers it. */
export const V_SERVICE = 7;

export type Verdict = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7;

/** Filled by the rule that ended the list: reused per stream, nothing allocated for a plain pass. */
export interface RuleOutcome {
  status: number;
  /** The reply to send; undefined: the proxy's error page for `status`. */
  reply: Reply | undefined;
  /** A header line added to the error page (the `auth` challenge). */
  extraHeader: string | undefined;
  /**
   * The reply is a redirect: HAProxy closes the connection after it when the request has a
   * body it has not read yet (and says `connection: close`).
   */
  closeWithBody: boolean;
  /** The rule that decided (for logs). */
  rule: RuleSpec | undefined;
  /** `set-log-level` (for the log subsystem); -1: unchanged, 'silent' is 8. */
  logLevel: number;
  /** The service a `use-service` rule chose (with V_SERVICE). */
  service: HttpService | undefined;
}

/** A request as a service sees it (the proxy gathered its body whole). */
export interface ServiceRequest {
  readonly method: string;
  /** The request target as the rules left it (path and query). */
  readonly target: string;
  /** `HTTP/1.0` or `HTTP/1.1`. */
  readonly version: string;
  /** Header names and values, alternating, as received. */
  readonly headers: readonly string[];
  readonly body: Buffer;
  /** The body was longer than the proxy keeps for a service: `body` holds its start only. */
  readonly truncated: boolean;
  /** What conditions read (`stats admin if …`). */
  readonly env: SampleEnv;
}

/**
 * A service's answer: a whole response (`head` without the final empty line, `body`), or
 * with no `head` the proxy's error page for `status` plus `extraHeader` (a header line with
 * its CRLF).
 */
export interface ServiceReply {
  status: number;
  head?: string;
  body?: Buffer;
  extraHeader?: string;
}

/**
 * Something in the proxy that answers requests itself (HAProxy's applets: the stats page,
 * the Prometheus exporter). `serve` runs once the request, body included, is read.
 */
export interface HttpService {
  readonly name: string;
  serve(req: ServiceRequest): ServiceReply | Promise<ServiceReply>;
}

/** The message a rule changes: the sample engine's view plus the response's reason phrase. */
export interface HttpMessage extends HttpMessageView {
  /** Response reason phrase ('' for a request). */
  reason: string;
}

/** One compiled action of an HTTP rule set. */
export interface HttpAction {
  /** Runs on the message; returns a verdict (V_CONTINUE to go on). */
  run(env: SampleEnv, msg: HttpMessage, out: RuleOutcome): Verdict;
}

/** An action's entry in a rule set's table: compiles the words after the action name. */
export interface HttpActionRow {
  readonly name: string;
  /** For `set-var(<name>)` style actions: the text between the parentheses is passed as `param`. */
  readonly param?: boolean | 'optional';
  compile(args: readonly string[], param: string | undefined, ctx: ActionContext, label: string): HttpAction;
}

export type { Reply, ReplySpec };

/** A fresh outcome object (one per stream). */
export function newOutcome(): RuleOutcome {
  return {
    status: 0,
    reply: undefined,
    extraHeader: undefined,
    closeWithBody: false,
    rule: undefined,
    logLevel: -1,
    service: undefined,
  };
}
