export {
  connectionErrorPage,
  ERROR_PAGE_STATUSES,
  ErrorFileError,
  type ErrorFileErrorCode,
  type ErrorFileLimits,
  type ErrorMessage,
  type ErrorPageForm,
  errorMessage,
  errorPage,
  errorPageFor,
  loadErrorFile,
  parseErrorFile,
} from './error-pages.ts';
export { type HttpErrorCode, HttpParseError } from './errors.ts';
export {
  authorityMatchesHost,
  type BodyKind,
  type HeadInfo,
  type HttpHandler,
  HttpParser,
  type HttpParserKind,
  type HttpParserOptions,
  type HttpParserState,
  type MessageCapture,
} from './parser.ts';
export {
  type ConnectionHeader,
  chunkHeader,
  type ExtraHeader,
  headerValue,
  lastChunk,
  normalizeDefaultPort,
  reasonPhrase,
  requestHead,
  responseHead,
} from './serializer.ts';
