import {
  type HeadInfo,
  type HttpHandler,
  type HttpParseError,
  HttpParser,
  type HttpParserOptions,
} from '../src/index.ts';

export interface Message {
  method: string;
  target: string;
  status: number;
  reason: string;
  version: string;
  headers: string[];
  info: Omit<HeadInfo, 'headers'>;
  body: string;
  trailers: string[];
  complete: boolean;
}

/** A handler recording everything, for tests. */
export class Recorder implements HttpHandler {
  messages: Message[] = [];
  error: HttpParseError | null = null;
  slices: Buffer[] = [];
  tunnel: Buffer | null = null;
  private cur: Message | null = null;

  onMessageBegin(): void {
    this.cur = {
      method: '',
      target: '',
      status: 0,
      reason: '',
      version: '',
      headers: [],
      info: {} as Omit<HeadInfo, 'headers'>,
      body: '',
      trailers: [],
      complete: false,
    };
    this.messages.push(this.cur);
  }
  onRequestLine(method: string, target: string, major: number, minor: number): void {
    const m = this.cur as Message;
    m.method = method;
    m.target = target;
    m.version = `${major}.${minor}`;
  }
  onStatusLine(major: number, minor: number, status: number, reason: string): void {
    const m = this.cur as Message;
    m.status = status;
    m.reason = reason;
    m.version = `${major}.${minor}`;
  }
  onHeadersComplete(info: HeadInfo): void {
    const m = this.cur as Message;
    const { headers, ...rest } = info;
    m.headers = headers;
    m.info = { ...rest };
  }
  onBody(slice: Buffer): void {
    this.slices.push(slice);
    (this.cur as Message).body += slice.toString('latin1');
  }
  onTrailers(trailers: string[]): void {
    (this.cur as Message).trailers = trailers;
  }
  onMessageComplete(): void {
    (this.cur as Message).complete = true;
  }
  onError(error: HttpParseError): void {
    this.error = error;
  }
  onTunnel(rest: Buffer): void {
    this.tunnel = rest;
  }
}

export function parse(
  kind: 'request' | 'response',
  input: string | Buffer,
  options: HttpParserOptions & { split?: number[]; responseTo?: string; finish?: boolean } = {},
): { rec: Recorder; parser: HttpParser; consumed: number } {
  const rec = new Recorder();
  const parser = new HttpParser(kind, rec, options);
  if (options.responseTo !== undefined) parser.responseTo(options.responseTo);
  const buf = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
  let consumed = 0;
  const cuts = [...(options.split ?? []), buf.length];
  let from = 0;
  for (const cut of cuts) {
    if (cut <= from) continue;
    consumed += parser.execute(buf.subarray(from, cut));
    from = cut;
  }
  if (options.finish) parser.finish();
  return { rec, parser, consumed };
}

/** The request verdict: 'ok' or the HAProxy status of the error. */
export function verdict(input: string, kind: 'request' | 'response' = 'request'): 'ok' | number {
  const { rec } = parse(kind, input);
  if (rec.error) return rec.error.status;
  return rec.messages[0]?.info.bodyKind !== undefined ? 'ok' : 0;
}
