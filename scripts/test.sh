#!/usr/bin/env bash
# Set everything up, install the real HAProxy for differential tests, run every test.
# The last line is "N passed, N failed" (read from vitest's JSON report).
set -euo pipefail
source "$(dirname "$0")/provision.sh"

if ! command -v haproxy >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    hap_log "installing the haproxy Debian package (reference for differential tests)"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null && { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server postgresql mariadb-server slapd exim4-daemon-light >/dev/null || hap_log "could not install the servers of the protocol-check tests: they will try again, or skip saying why"; }) >&2 ||
      hap_log "could not install haproxy: differential tests will say so and fail"
  else
    hap_log "haproxy is not installed and this user cannot apt-get it: differential tests will fail"
  fi
fi

# install_debian <command> <package> <what it is for> <what fails without it> [with-recommends]:
# the Debian package a group of tests needs, when its command is missing and this user may apt-get
install_debian() {
  command -v "$1" >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    hap_log "installing the $2 Debian package ($3)"
    local lean=--no-install-recommends
    [ "${5:-}" = with-recommends ] && lean=
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $lean "$2" >/dev/null) >&2 ||
      hap_log "could not install $2: $4 will fail"
  else
    hap_log "$2 is not installed and this user cannot apt-get it: $4 will fail"
  fi
}
install_debian chromium chromium "the stats page's browser test" "the stats page's browser test" with-recommends
install_debian openssl openssl "certificates of the TLS tests" "the TLS tests"
install_debian curl curl "the HTTP/2 tests' client, with --http2 and --http2-prior-knowledge" "the HTTP/2 tests"
install_debian faketime faketime "the OCSP tests' dated responses" "the OCSP tests"

cd "$HAP_ROOT"
mkdir -p test-artifacts
report="test-artifacts/vitest.json"
rm -f "$report"
status=0
biome check . >&2 || status=$?
node_modules/.bin/vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
# tests that measure losses under load run alone, with the machine to themselves
reports=("$report")
if [ "$#" -eq 0 ]; then
  serial="test-artifacts/vitest-serial.json"
  rm -f "$serial"
  HAP_SERIAL_TESTS=1 node_modules/.bin/vitest run --reporter=default --reporter=json --outputFile.json="$serial" \
    apps/haproxyd/test/reload.test.ts apps/haproxyd/test/master-reload.test.ts apps/haproxyd/test/master-state.test.ts apps/haproxyd/test/getsocks.test.ts || status=$?
  reports+=("$serial")
fi
node scripts/summarize-tests.mjs "${reports[@]}" || status=$?
exit "$status"
