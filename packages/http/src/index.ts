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
} from './parser.ts';
