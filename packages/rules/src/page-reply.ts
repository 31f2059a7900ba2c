// The proxy's own answers as the HTTP engine sends them. Kept apart from reply.ts (which
// compiles log-format replies with the sample engine) so that serving error pages does not
// load the rule engine.

import type { ErrorMessage } from '@hap/http';

export interface Reply {
  status: number;
  /** `HTTP/1.1 <status> <reason>\r\n` and header lines, without the empty line; '' sends nothing. */
  head: string;
  body: Buffer;
  /** The client connection closes after it (an error page that says so, or has no length). */
  close?: boolean;
}

/** An error page (built in, `errorfile`, `errorloc`) as a reply. */
export function pageReply(m: ErrorMessage): Reply {
  if (m.empty) return { status: m.status, head: '', body: m.body, close: true };
  return m.keepAlive
    ? { status: m.status, head: m.replyHead, body: m.body }
    : { status: m.status, head: m.replyHead, body: m.body, close: true };
}
