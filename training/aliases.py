"""Array and progress-callback types shared by the training modules (one definition for all)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

__all__ = ["BoolArray", "FloatArray", "IntArray", "Progress", "no_progress"]

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]
#: ``progress(step, done, total)``, called as long work advances (CLI bars, job progress).
Progress = Callable[[str, int, int], None]


def no_progress(step: str, done: int, total: int) -> None:
    """The default :data:`Progress`: report nowhere."""
    return None
