#!/usr/bin/env bash
# Quick start: set everything up, then run haproxyd on examples/quickstart.cfg.
set -euo pipefail
source "$(dirname "$0")/provision.sh"
exec "$HAP_ROOT/bin/haproxyd" -db -f "$HAP_ROOT/examples/quickstart.cfg" "$@"
