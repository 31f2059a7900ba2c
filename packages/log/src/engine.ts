// The per-stream log record the forwarding engine fills, without the formats and transports.
// (package.json exports it as "@hap/log/engine"; everything here is in index.ts too)

export {
  createLogRecord,
  formatRequestLine,
  httpLogBytes,
  htxHeadBytes,
  htxTrailerBytes,
} from './record.ts';
