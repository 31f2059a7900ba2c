#!/usr/bin/env bash
# Sourced by scripts/quickstart.sh and scripts/test.sh: makes this checkout ready
# on a fresh machine that has only an old Node and npm.
#  1. Node >= 22.19: the machine's own if new enough, else Node 24 LTS taken from
#     the npm registry (the node-linux-<arch> package ships the binary).
#  2. pnpm 12, from the npm registry, into .tools/.
#  3. pnpm install --frozen-lockfile, then build every package.
# Everything lands in .tools/ inside the checkout; nothing global is changed.
set -euo pipefail

HAP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HAP_TOOLS="$HAP_ROOT/.tools"
HAP_NODE_VERSION="24.21.0"
HAP_PNPM_VERSION="12.4.2"
HAP_NODE_MIN="22.19.0"

hap_log() { printf '[setup] %s\n' "$*" >&2; }

# version_ge A B: true when A >= B (dotted numeric versions)
hap_version_ge() {
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

hap_provision_node() {
  local sysver=""
  if command -v node >/dev/null 2>&1; then sysver="$(node -p 'process.versions.node' 2>/dev/null || true)"; fi
  if [ -x "$HAP_TOOLS/bin/node" ]; then
    return 0
  fi
  mkdir -p "$HAP_TOOLS/bin"
  if [ -n "$sysver" ] && hap_version_ge "$sysver" "$HAP_NODE_MIN"; then
    hap_log "using the machine's Node $sysver"
    ln -sf "$(command -v node)" "$HAP_TOOLS/bin/node"
    return 0
  fi
  command -v npm >/dev/null 2>&1 || { hap_log "npm is needed to fetch Node $HAP_NODE_VERSION"; return 1; }
  local arch
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) hap_log "no Node package for $(uname -m)"; return 1 ;;
  esac
  hap_log "machine Node is ${sysver:-absent}; installing Node $HAP_NODE_VERSION from the npm registry"
  npm install --prefix "$HAP_TOOLS/node" --no-save --no-audit --no-fund --no-package-lock --ignore-scripts \
    --loglevel=error "node-linux-$arch@$HAP_NODE_VERSION" >&2
  ln -sf "$HAP_TOOLS/node/node_modules/node-linux-$arch/bin/node" "$HAP_TOOLS/bin/node"
}

hap_provision_pnpm() {
  if [ -x "$HAP_TOOLS/bin/pnpm" ] && [ "$("$HAP_TOOLS/bin/pnpm" --version 2>/dev/null)" = "$HAP_PNPM_VERSION" ]; then
    return 0
  fi
  hap_log "installing pnpm $HAP_PNPM_VERSION from the npm registry"
  # pnpm's own install script swaps in its native binary; run it with the provisioned Node.
  PATH="$HAP_TOOLS/bin:$PATH" npm install --prefix "$HAP_TOOLS/pnpm" --no-save --no-audit --no-fund \
    --no-package-lock --loglevel=error "pnpm@$HAP_PNPM_VERSION" >&2
  ln -sf "$HAP_TOOLS/pnpm/node_modules/.bin/pnpm" "$HAP_TOOLS/bin/pnpm"
}

hap_install_and_build() {
  local stamp="$HAP_TOOLS/.installed"
  local want
  want="$(cat "$HAP_ROOT/pnpm-lock.yaml" "$HAP_ROOT"/package.json "$HAP_ROOT"/packages/*/package.json \
    "$HAP_ROOT"/apps/*/package.json | cksum)"
  if [ ! -d "$HAP_ROOT/node_modules" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    hap_log "pnpm install --frozen-lockfile"
    (cd "$HAP_ROOT" && CI=true pnpm install --frozen-lockfile --reporter=append-only >&2)
    printf '%s' "$want" >"$stamp"
  fi
  hap_log "building packages"
  (cd "$HAP_ROOT" && turbo run build --output-logs=errors-only >&2)
}

hap_provision_node
hap_provision_pnpm
export PATH="$HAP_TOOLS/bin:$HAP_ROOT/node_modules/.bin:$PATH"
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
hap_install_and_build
