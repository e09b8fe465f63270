#!/usr/bin/env bash
# Sets everything up and runs all tests: unit tests, end-to-end calls over real sockets,
# speech (Pico, piper, whisper), on SQLite and on PostgreSQL (installed from Debian and
# started here when needed).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export HOTLINE_CACHE="${HOTLINE_CACHE:-$HOME/.cache/seniorentelefon}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOTLINE_CACHE/target}"
export GGML_NATIVE=OFF

# Tests build the debug profile (dependencies optimised); reuse it for setup.
HOTLINE_PROFILE=debug scripts/setup.sh

echo; echo "==> PostgreSQL" >&2
export HOTLINE_TEST_POSTGRES_URL="${HOTLINE_TEST_POSTGRES_URL:-$(scripts/postgres.sh)}"

echo; echo "==> Tests" >&2
# Speech tests load whisper and synthesise audio; two test threads suit two cores.
cargo test --locked -- --test-threads 2
