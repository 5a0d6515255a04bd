from __future__ import annotations

import pytest

from fasit.plan import DesiredRelease
from tests.unit.reconcile.support import planned


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, DesiredRelease]:
    return planned(tmp_path_factory.mktemp("state"))
