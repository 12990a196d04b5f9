"""The lock files: complete for what pyproject.toml asks, hash-checked, and what this suite runs on."""

from __future__ import annotations

import tomllib
from importlib.metadata import PackageNotFoundError, version

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from affinity.settings import PROJECT_ROOT
from tests.deploy.locks import locked

PROJECT = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
LOCKS = {
    "dev.lock": ["api", "ml", "workers", "multilingual", "dev"],
    "image.lock": ["api", "ml", "workers"],
    "workers.lock": ["workers"],
}


@pytest.mark.parametrize(("lock", "extras"), LOCKS.items())
def test_every_requirement_is_pinned_within_its_range_with_hashes(lock: str, extras: list[str]) -> None:
    pins = locked(PROJECT_ROOT / "requirements" / lock)
    wanted = [Requirement(r) for r in PROJECT["dependencies"]]
    wanted += [Requirement(r) for extra in extras for r in PROJECT["optional-dependencies"][extra]]
    for requirement in wanted:
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{lock}: {requirement} is not locked (run scripts/lock.sh)"
        assert requirement.specifier.contains(pins[name], prereleases=True), f"{lock}: {name}=={pins[name]}"


def test_the_workers_lock_has_no_ml_stack() -> None:
    pins = locked(PROJECT_ROOT / "requirements" / "workers.lock")
    assert not {"torch", "transformers", "torch-geometric", "lightgbm", "scikit-learn"} & set(pins)


def test_this_environment_is_the_locked_one() -> None:
    """scripts/setup.sh installs requirements/dev.lock with --require-hashes: the suite runs on it."""
    installed: dict[str, str | None] = {}
    for name, pinned in locked(PROJECT_ROOT / "requirements" / "dev.lock", this_python=True).items():
        try:
            installed[name] = version(name)
        except PackageNotFoundError:
            installed[name] = None
        if installed[name] == pinned:
            del installed[name]
    assert not installed, f"installed versions differ from requirements/dev.lock: {installed}"
