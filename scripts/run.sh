#!/usr/bin/env bash
# Sets everything up (scripts/setup.sh) and runs the hotline with demo data on SQLite.
# Then, in a second terminal, place a call:
#   ~/.cache/seniorentelefon/target/release/hotline call --keys 3,1,1,3,2
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh
export HOTLINE_CACHE="${HOTLINE_CACHE:-$HOME/.cache/seniorentelefon}"
HOTLINE="${CARGO_TARGET_DIR:-$HOTLINE_CACHE/target}/release/hotline"
echo
echo "Try a call from another terminal:  $HOTLINE call --keys 3,1,1,3,2"
echo
exec "$HOTLINE" serve
