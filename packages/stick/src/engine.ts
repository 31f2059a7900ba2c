// The stick-table counter updates the forwarding engine makes per stream, without the table
// parser, the CLI and the fetches.
// (package.json exports it as "@hap/stick/engine"; everything here is in index.ts too)

export {
  trackHttp,
  updateOnBytes,
  updateOnConnection,
  updateOnHttpError,
  updateOnHttpFailure,
  updateOnHttpRequest,
  updateOnHttpResponse,
  updateOnSession,
} from './events.ts';
