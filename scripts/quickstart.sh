#!/usr/bin/env bash
# Quick start: set everything up, then run haproxyd on examples/quickstart.cfg.
# Until the HTTP engine lands (the demo is 'mode http'), haproxyd checks the
# configuration and says what it cannot serve yet.
set -euo pipefail
source "$(dirname "$0")/provision.sh"
cfg="$HAP_ROOT/examples/quickstart.cfg"
"$HAP_ROOT/bin/haproxyd" -c -f "$cfg" "$@"
cat <<MSG

haproxyd checked $cfg: the configuration is valid.
It does not serve this demo yet: haproxyd forwards 'mode tcp' today, and the demo is
'mode http', which arrives with the HTTP engine; ports 8080/8404 stay closed for now.
Try: ./bin/haproxyd -c -f <your haproxy.cfg>   or   ./bin/haproxyd -dKall -c -f $cfg
MSG
