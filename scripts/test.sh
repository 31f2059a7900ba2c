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

# the stats page test drives a headless Chromium (Debian's package) over the DevTools protocol
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    hap_log "installing the chromium Debian package (the stats page's browser test)"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) >&2 ||
      hap_log "could not install chromium: the stats page's browser test will say so and fail"
  else
    hap_log "chromium is not installed and this user cannot apt-get it: the stats page's browser test will fail"
  fi
fi
# the TLS tests make their certificates with the openssl command line
if ! command -v openssl >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    hap_log "installing the openssl Debian package (certificates of the TLS tests)"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openssl >/dev/null) >&2 ||
      hap_log "could not install openssl: the TLS tests will fail"
  else
    hap_log "openssl is not installed and this user cannot apt-get it: the TLS tests will fail"
  fi
fi
# the HTTP/2 tests drive curl (--http2, --http2-prior-knowledge) besides node:http2
if ! command -v curl >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    hap_log "installing the curl Debian package (the HTTP/2 tests' client)"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends curl >/dev/null) >&2 ||
      hap_log "could not install curl: the HTTP/2 tests will fail"
  else
    hap_log "curl is not installed and this user cannot apt-get it: the HTTP/2 tests will fail"
  fi
fi
# the OCSP tests make expired and not-yet-valid responses with openssl under faketime
if ! command -v faketime >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    hap_log "installing the faketime Debian package (the OCSP tests' dated responses)"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends faketime >/dev/null) >&2 ||
      hap_log "could not install faketime: the OCSP tests will fail"
  else
    hap_log "faketime is not installed and this user cannot apt-get it: the OCSP tests will fail"
  fi
fi

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
