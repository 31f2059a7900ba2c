#!/usr/bin/env bash
# Issue 8's acceptance run: 100 reloads (every 4th with an invalid configuration) under an
# undici keep-alive loop and a new-connection-per-request loop, for haproxyd -W, HAProxy 2.6
# -W, and the -D -sf reload of both. Prints the table and writes test-artifacts/master-reload.md.
# Usage: scripts/master-reloads.sh [reloads] [requests/s per client loop]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="$root/.tools/bin:$root/node_modules/.bin:$PATH"
cd "$root"
HAP_MASTER_RELOADS="${1:-100}" HAP_MASTER_RATE="${2:-150}" \
  vitest run apps/haproxyd/test/master-reload.test.ts
