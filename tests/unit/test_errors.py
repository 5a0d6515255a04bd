"""One error tree: every exception class fasit and naisd define hangs under their root."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from types import ModuleType

import pytest

from fasit import errors
from fasit.errors import CouldNotRun, FasitError, InvalidInput, RetryableError
from naisd import errors as naisd_errors
from naisd.errors import NaisdError

# Running `python -m` modules would start a command; they define no classes.
_NOT_IMPORTED = {"fasit.__main__", "naisd.__main__"}
# Private exceptions that never leave their module, each with the reason it is exempt (none
# today: even the private ones, naisd.cli._Unusable and helm_labels._NotOurs, are in the tree).
EXEMPT: dict[str, str] = {}


def _exception_classes(package: str) -> list[type[BaseException]]:
    root = importlib.import_module(package)
    found: list[type[BaseException]] = []
    names = [package, *(m.name for m in pkgutil.walk_packages(root.__path__, f"{package}."))]
    for name in names:
        if name in _NOT_IMPORTED:
            continue
        module = importlib.import_module(name)
        found.extend(
            value
            for value in vars(module).values()
            if inspect.isclass(value)
            and issubclass(value, BaseException)
            and value.__module__ == name
        )
    return found


def _outside(package: str, root: type[BaseException]) -> list[str]:
    return [
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in _exception_classes(package)
        if not issubclass(cls, root) and f"{cls.__module__}.{cls.__qualname__}" not in EXEMPT
    ]


@pytest.mark.parametrize(("package", "root"), [("fasit", FasitError), ("naisd", NaisdError)])
def test_every_exception_class_derives_from_the_root(
    package: str, root: type[BaseException]
) -> None:
    assert _outside(package, root) == []


def test_every_fasit_error_is_under_one_branch() -> None:
    branches = (CouldNotRun, RetryableError, InvalidInput)
    loose = [
        cls.__qualname__
        for cls in _exception_classes("fasit")
        if cls not in (FasitError, *branches) and not issubclass(cls, branches)
    ]

    assert loose == []


@pytest.mark.parametrize(("package", "drawn_in"), [("fasit", errors), ("naisd", naisd_errors)])
def test_the_drawn_tree_names_every_public_exception_class(
    package: str, drawn_in: ModuleType
) -> None:
    drawn = set(re.findall(r"(?:[├└]── |^ {4})(\w+)", drawn_in.__doc__ or "", re.M))
    public = {c.__name__ for c in _exception_classes(package) if not c.__name__.startswith("_")}

    assert public - drawn == set()


def test_a_source_that_is_unavailable_is_retried_not_could_not_run() -> None:
    assert issubclass(errors.SourceUnavailable, RetryableError)
    assert not issubclass(errors.SourceUnavailable, CouldNotRun)
