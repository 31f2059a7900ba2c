#!/usr/bin/env bash
# Quick start: set everything up, then run haproxyd on examples/quickstart.cfg.
# Until the start-up spine and the traffic engine land, haproxyd checks the
# configuration and says what it cannot serve yet.
set -euo pipefail
source "$(dirname "$0")/provision.sh"
cfg="$HAP_ROOT/examples/quickstart.cfg"
"$HAP_ROOT/bin/haproxyd" -c -f "$cfg" "$@"
cat <<MSG

haproxyd checked $cfg: the configuration is valid.
It cannot serve traffic yet: binding listeners, the run loop (start-up spine) and
the HTTP engine are still being built, so ports 8080/8404 stay closed for now.
Try: ./bin/haproxyd -c -f <your haproxy.cfg>   or   ./bin/haproxyd -dKall -c -f $cfg
MSG
