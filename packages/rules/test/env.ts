import { createVarStore, type SampleEnv } from '@hap/sample';
import type { HttpMessage } from '../src/index.ts';

/** A request message as the proxy would hand it to the rules. */
export function request(method: string, target: string, headers: string[] = []): HttpMessage {
  return {
    method,
    target,
    version: 'HTTP/1.1',
    status: 0,
    reason: '',
    headers: [...headers],
    body: undefined,
  };
}

export function response(status: number, reason: string, headers: string[] = []): HttpMessage {
  return {
    method: '',
    target: '',
    version: 'HTTP/1.1',
    status,
    reason,
    headers: [...headers],
    body: undefined,
  };
}

/** A stream environment for one request from 127.0.0.1:40000 to the frontend `fe`. */
export function envFor(req: HttpMessage, res?: HttpMessage): SampleEnv {
  return {
    src: '127.0.0.1',
    srcPort: 40000,
    dst: '127.0.0.1',
    dstPort: 8080,
    frontend: 'fe',
    backend: 'fe',
    server: undefined,
    req,
    res,
    ssl: undefined,
    vars: createVarStore(new Map()),
    world: {
      nbsrv: () => 1,
      beConn: () => 0,
      queue: () => 0,
      feConn: () => 1,
      serverUp: () => true,
    },
  };
}
