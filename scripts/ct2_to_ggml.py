#!/usr/bin/env python3
"""Convert a CTranslate2 Whisper model directory to a whisper.cpp GGML file.

Usage: ct2_to_ggml.py CT2_MODEL_DIR OUTPUT.bin

CT2_MODEL_DIR must contain model.bin (CTranslate2 binary, spec "WhisperSpec")
and vocabulary.txt (one token per line) or vocabulary.json (JSON list), the
tokens in GPT-2 byte-level unicode.

Output: the classic whisper.cpp "ggml" file (magic 0x67676d6c), the same layout
that whisper.cpp's models/convert-pt-to-ggml.py writes:
  hparams (11 x int32), mel filters (n_mels x 201 float32), tokenizer
  (count + length-prefixed raw bytes), then tensors (n_dims, name_len, ftype,
  dims reversed, name, data).

Deterministic: the output depends only on the input files (no timestamps,
no dict-order or platform dependent maths; the mel filterbank uses only
Python's scalar libm log/exp for 82 values, plus exact IEEE arithmetic).
Only needs numpy.
"""

import json
import math
import re
import struct
import sys
from pathlib import Path

import numpy as np

GGML_MAGIC = 0x67676D6C
CT2_DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}
# 5 = bfloat16: not supported here (our model is float16).


def die(msg):
    sys.stderr.write("ct2_to_ggml: error: %s\n" % msg)
    sys.exit(1)


# --------------------------------------------------------------------------
# CTranslate2 model.bin reader (format of ctranslate2/specs/model_spec.py
# ModelSpec._serialize, binary version <= 6):
#   u32 version, str spec_name, u32 revision, u32 n_vars,
#   per var: str name, u8 ndims, u32 dims[ndims], u8 dtype, u32 nbytes, data
#   u32 n_aliases, per alias: str alias, str target
#   str = u16 length (incl. trailing NUL) + utf-8 bytes + NUL
# --------------------------------------------------------------------------
def read_ct2(path):
    data = Path(path).read_bytes()
    pos = 0

    def unpack(fmt):
        nonlocal pos
        vals = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return vals[0] if len(vals) == 1 else vals

    def string():
        nonlocal pos
        n = unpack("H")
        s = data[pos:pos + n - 1].decode("utf-8")
        pos += n
        return s

    version = unpack("I")
    if version < 5 or version > 6:
        die("unsupported CTranslate2 binary version %d" % version)
    spec = string()
    revision = unpack("I")
    if spec != "WhisperSpec":
        die("model.bin is a %r, not a WhisperSpec" % spec)
    n_vars = unpack("I")
    tensors = {}
    for _ in range(n_vars):
        name = string()
        ndims = unpack("B")
        dims = [unpack("I") for _ in range(ndims)]
        dtype = unpack("B")
        nbytes = unpack("I")
        if dtype not in CT2_DTYPES:
            die("tensor %s has unsupported CT2 dtype id %d" % (name, dtype))
        arr = np.frombuffer(data, dtype=np.dtype(CT2_DTYPES[dtype]).newbyteorder("<"),
                            count=nbytes // np.dtype(CT2_DTYPES[dtype]).itemsize, offset=pos)
        pos += nbytes
        tensors[name] = arr.reshape(dims) if dims else arr.reshape(())
    n_alias = unpack("I")
    for _ in range(n_alias):
        alias = string()
        target = string()
        tensors[alias] = tensors[target]
    if pos != len(data):
        die("trailing bytes in model.bin (%d of %d parsed): truncated/corrupt?" % (pos, len(data)))
    return spec, revision, tensors


# --------------------------------------------------------------------------
# Mel filterbank: librosa.filters.mel(sr=16000, n_fft=400, n_mels=80)
# (htk=False -> Slaney mel scale, norm="slaney"), i.e. whisper's mel_filters.npz
# --------------------------------------------------------------------------
def _hz_to_mel(f):
    f_sp = 200.0 / 3
    min_log_hz, min_log_mel = 1000.0, 1000.0 / f_sp
    logstep = math.log(6.4) / 27.0
    if f >= min_log_hz:
        return min_log_mel + math.log(f / min_log_hz) / logstep
    return f / f_sp


def _mel_to_hz(m):
    f_sp = 200.0 / 3
    min_log_hz, min_log_mel = 1000.0, 1000.0 / f_sp
    logstep = math.log(6.4) / 27.0
    if m >= min_log_mel:
        return min_log_hz * math.exp(logstep * (m - min_log_mel))
    return f_sp * m


def mel_filters(sr=16000, n_fft=400, n_mels=80):
    n_freq = 1 + n_fft // 2
    fftfreqs = np.linspace(0, sr / 2.0, n_freq)            # float64, exact arithmetic
    mmin, mmax = _hz_to_mel(0.0), _hz_to_mel(sr / 2.0)
    mels = np.linspace(mmin, mmax, n_mels + 2)
    mel_f = np.array([_mel_to_hz(float(m)) for m in mels], dtype=np.float64)
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, fftfreqs)
    # librosa keeps the weights in a float32 array (rounded once here, and again
    # after the normalisation below); doing the same reproduces whisper's
    # mel_filters.npz bit for bit.
    weights = np.zeros((n_mels, n_freq), dtype=np.float32)
    for i in range(n_mels):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        weights[i] = np.maximum(0, np.minimum(lower, upper))
    enorm = 2.0 / (mel_f[2:n_mels + 2] - mel_f[:n_mels])
    weights *= enorm[:, np.newaxis]
    return weights


# --------------------------------------------------------------------------
# Tokenizer: GPT-2 byte-level unicode -> raw bytes
# --------------------------------------------------------------------------
def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) \
        + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def load_tokens(model_dir):
    """Tokens from vocabulary.txt (one per line, older CT2) or vocabulary.json
    (JSON list, newer CT2). Returns (raw-byte text tokens, total vocab size)."""
    txt, js = Path(model_dir) / "vocabulary.txt", Path(model_dir) / "vocabulary.json"
    if txt.is_file():
        lines = txt.read_text(encoding="utf-8").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
    elif js.is_file():
        lines = json.loads(js.read_text(encoding="utf-8"))
        if not isinstance(lines, list) or not all(isinstance(x, str) for x in lines):
            die("vocabulary.json is not a list of strings")
    else:
        die("no vocabulary.txt or vocabulary.json in %s" % model_dir)
    try:
        n_text = lines.index("<|endoftext|>")
    except ValueError:
        die("vocabulary has no <|endoftext|> token")
    byte_decoder = {v: k for k, v in bytes_to_unicode().items()}
    tokens = []
    for i, tok in enumerate(lines[:n_text]):
        try:
            tokens.append(bytes(byte_decoder[c] for c in tok))
        except KeyError as e:
            die("token %d %r has a char outside the byte-level alphabet: %s" % (i, tok, e))
    return tokens, len(lines)


# --------------------------------------------------------------------------
# Name mapping CT2 -> whisper.cpp (OpenAI state_dict names)
# --------------------------------------------------------------------------
def build_tensors(t, n_audio_layer, n_text_layer, d):
    out = []  # list of (name, array) in OpenAI state_dict order

    def get(name):
        if name not in t:
            die("missing CT2 tensor %s" % name)
        return t[name]

    def zero_bias_check(b, what):
        # whisper's key projections have no bias; CT2 fuses q/k/v and stores a
        # zero key bias. whisper.cpp has no key bias tensor (loading one would be
        # an "unknown tensor" error), so drop it -- after checking it is zero.
        # (A constant key bias would not change softmax anyway.)
        if np.any(b.astype(np.float32) != 0):
            die("%s key bias is not zero" % what)

    def ln(dst, src):
        out.append((dst + ".weight", get(src + "/gamma")))
        out.append((dst + ".bias", get(src + "/beta")))

    def lin(dst, src):
        out.append((dst + ".weight", get(src + "/weight")))
        out.append((dst + ".bias", get(src + "/bias")))

    def qkv(dst, src):
        w, b = get(src + "/weight"), get(src + "/bias")
        if w.shape != (3 * d, d) or b.shape != (3 * d,):
            die("unexpected fused qkv shape %s at %s" % (w.shape, src))
        zero_bias_check(b[d:2 * d], src)
        out.append((dst + ".query.weight", w[0:d]))
        out.append((dst + ".query.bias", b[0:d]))
        out.append((dst + ".key.weight", w[d:2 * d]))
        out.append((dst + ".value.weight", w[2 * d:3 * d]))
        out.append((dst + ".value.bias", b[2 * d:3 * d]))

    # encoder
    out.append(("encoder.positional_embedding", get("encoder/position_encodings/encodings")))
    out.append(("encoder.conv1.weight", get("encoder/conv1/weight")))
    out.append(("encoder.conv1.bias", get("encoder/conv1/bias")))
    out.append(("encoder.conv2.weight", get("encoder/conv2/weight")))
    out.append(("encoder.conv2.bias", get("encoder/conv2/bias")))
    for i in range(n_audio_layer):
        s, p = "encoder/layer_%d" % i, "encoder.blocks.%d" % i
        qkv(p + ".attn", s + "/self_attention/linear_0")
        lin(p + ".attn.out", s + "/self_attention/linear_1")
        ln(p + ".attn_ln", s + "/self_attention/layer_norm")
        lin(p + ".mlp.0", s + "/ffn/linear_0")
        lin(p + ".mlp.2", s + "/ffn/linear_1")
        ln(p + ".mlp_ln", s + "/ffn/layer_norm")
    ln("encoder.ln_post", "encoder/layer_norm")

    # decoder
    out.append(("decoder.positional_embedding", get("decoder/position_encodings/encodings")))
    out.append(("decoder.token_embedding.weight", get("decoder/embeddings/weight")))
    for i in range(n_text_layer):
        s, p = "decoder/layer_%d" % i, "decoder.blocks.%d" % i
        qkv(p + ".attn", s + "/self_attention/linear_0")
        lin(p + ".attn.out", s + "/self_attention/linear_1")
        ln(p + ".attn_ln", s + "/self_attention/layer_norm")
        # cross attention: linear_0 = query, linear_1 = fused key/value, linear_2 = out
        lin(p + ".cross_attn.query", s + "/attention/linear_0")
        w, b = get(s + "/attention/linear_1/weight"), get(s + "/attention/linear_1/bias")
        if w.shape != (2 * d, d) or b.shape != (2 * d,):
            die("unexpected fused kv shape %s at %s" % (w.shape, s))
        zero_bias_check(b[0:d], s + "/attention/linear_1")
        out.append((p + ".cross_attn.key.weight", w[0:d]))
        out.append((p + ".cross_attn.value.weight", w[d:2 * d]))
        out.append((p + ".cross_attn.value.bias", b[d:2 * d]))
        lin(p + ".cross_attn.out", s + "/attention/linear_2")
        ln(p + ".cross_attn_ln", s + "/attention/layer_norm")
        lin(p + ".mlp.0", s + "/ffn/linear_0")
        lin(p + ".mlp.2", s + "/ffn/linear_1")
        ln(p + ".mlp_ln", s + "/ffn/layer_norm")
    ln("decoder.ln", "decoder/layer_norm")

    # the output projection must be tied to the token embedding (whisper.cpp uses
    # token_embedding for the logits)
    proj = t.get("decoder/projection/weight")
    if proj is not None and proj is not t["decoder/embeddings/weight"] \
            and not np.array_equal(proj, t["decoder/embeddings/weight"]):
        die("decoder projection is not tied to the token embedding")
    return out


def count_layers(t, stack):
    pat = re.compile(r"^%s/layer_(\d+)/" % stack)
    idx = {int(m.group(1)) for m in map(pat.match, t) if m}
    if idx != set(range(len(idx))):
        die("non-contiguous %s layer indices" % stack)
    return len(idx)


F32_NAMES = {"encoder.conv1.bias", "encoder.conv2.bias",
             "encoder.positional_embedding", "decoder.positional_embedding"}


def main():
    if len(sys.argv) != 3:
        sys.stderr.write(__doc__)
        sys.exit(2)
    src, dst = Path(sys.argv[1]), Path(sys.argv[2])
    spec, revision, t = read_ct2(src / "model.bin")

    n_mels = int(t["encoder/conv1/weight"].shape[1])
    n_audio_state = int(t["encoder/conv1/weight"].shape[0])
    n_audio_ctx = int(t["encoder/position_encodings/encodings"].shape[0])
    n_audio_head = int(t["encoder/num_heads"])
    n_audio_layer = count_layers(t, "encoder")
    n_vocab, n_text_state = (int(x) for x in t["decoder/embeddings/weight"].shape)
    n_text_ctx = int(t["decoder/position_encodings/encodings"].shape[0])
    n_text_head = int(t["decoder/num_heads"])
    n_text_layer = count_layers(t, "decoder")
    if n_audio_state != n_text_state:
        die("audio/text state size differ")

    tokens, n_vocab_txt = load_tokens(src)
    if n_vocab_txt != n_vocab:
        die("vocabulary has %d tokens, model has %d" % (n_vocab_txt, n_vocab))

    hp = [n_vocab, n_audio_ctx, n_audio_state, n_audio_head, n_audio_layer,
          n_text_ctx, n_text_state, n_text_head, n_text_layer, n_mels, 1]
    sys.stderr.write("ct2_to_ggml: %s rev %d; n_vocab=%d audio ctx/state/head/layer=%d/%d/%d/%d "
                     "text ctx/state/head/layer=%d/%d/%d/%d n_mels=%d, %d text tokens\n"
                     % (spec, revision, *hp[:10], len(tokens)))

    filters = mel_filters(16000, 400, n_mels)
    tensors = build_tensors(t, n_audio_layer, n_text_layer, n_text_state)

    tmp = dst.with_name(dst.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(struct.pack("<i", GGML_MAGIC))
        f.write(struct.pack("<11i", *hp))
        f.write(struct.pack("<ii", *filters.shape))
        f.write(filters.astype("<f4").tobytes())
        f.write(struct.pack("<i", len(tokens)))
        for tok in tokens:
            f.write(struct.pack("<i", len(tok)))
            f.write(tok)
        for name, arr in tensors:
            data = np.asarray(arr)
            if name in ("encoder.conv1.bias", "encoder.conv2.bias"):
                data = data.reshape(data.shape[0], 1)
            n_dims = data.ndim
            if n_dims < 2 or name in F32_NAMES:
                data, ftype = data.astype("<f4"), 0
            else:
                data, ftype = data.astype("<f2"), 1
            bname = name.encode("utf-8")
            f.write(struct.pack("<iii", n_dims, len(bname), ftype))
            f.write(struct.pack("<%di" % n_dims, *reversed(data.shape)))
            f.write(bname)
            f.write(np.ascontiguousarray(data).tobytes())
    tmp.replace(dst)
    sys.stderr.write("ct2_to_ggml: wrote %s (%d tensors, %d bytes)\n"
                     % (dst, len(tensors), dst.stat().st_size))


if __name__ == "__main__":
    main()
