// @hap/balance: HAProxy's load-balancing algorithms over a server set, pure (no sockets,
// no timers): weights, states, backups, slow start, and the hash functions of hash-type.

export type { AlgorithmInfo } from './algorithms/index.ts';
export { ALGORITHM_INFO, algorithmName } from './algorithms/index.ts';
export type { HashType, PickKey } from './algorithms/types.ts';
export type { Balancer, BalancerOptions } from './balancer.ts';
export { createBalancer } from './balancer.ts';
export type { BalanceErrorCode } from './errors.ts';
export { BalanceError } from './errors.ts';
export type { Bytes, HashFunction, HashFunctionName } from './hash.ts';
export { avalanche, HASH_FUNCTIONS, hashCrc32, hashDjb2, hashNone, hashSdbm, hashWt6 } from './hash.ts';
export { foldAddress, readRdpCookie } from './keys.ts';
export type { LookupKind } from './lookup/lookup.ts';
export type { BalanceServer, ServerInit, ServerState } from './server.ts';
export {
  createServer,
  MAX_WEIGHT,
  SERVER_STATES,
  slowStartFactor,
  WEIGHT_SCALE,
} from './server.ts';
