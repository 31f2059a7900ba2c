#!/usr/bin/env bash
# Quick start: set everything up, then run haproxyd in the foreground on
# examples/quickstart.cfg (Ctrl-C stops it). In another terminal:
#   curl http://127.0.0.1:8080/     (answered by demo1, then demo2, in turn)
set -euo pipefail
source "$(dirname "$0")/provision.sh"
cfg="$HAP_ROOT/examples/quickstart.cfg"
"$HAP_ROOT/bin/haproxyd" -c -f "$cfg"
cat >&2 <<MSG
haproxyd is starting on $cfg (foreground; Ctrl-C stops it).
Try, from another terminal:  curl http://127.0.0.1:8080/   (twice: demo1, then demo2)
MSG
exec "$HAP_ROOT/bin/haproxyd" -db -f "$cfg" "$@"
