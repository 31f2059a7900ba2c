/**
 * @hap/proxy — frontends, backends, servers and streams. Today: `mode tcp`
 * forwarding (accept, pick a server in turn, connect with retries, forward
 * both ways with back-pressure and half-close, HAProxy's timeouts). The HTTP
 * engine, queues and connection reuse grow here. It knows nothing of
 * configuration files or listeners: the application wires them.
 */

export { Backend, type BackendSpec } from './backend.ts';
export { type FrontendHooks, type FrontendSpec, TcpFrontend } from './frontend.ts';
export type { ServerTarget, StreamState, StreamTimeouts, TcpStream } from './stream.ts';
