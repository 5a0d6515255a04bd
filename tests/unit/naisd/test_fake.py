"""The fake executor: configured by FASIT_FAKE_* variables, simulating helm in memory."""

from __future__ import annotations

import pytest

from naisd import Action, FakeExecutor, LogKind, Outcome, Work


def _work(action: Action = Action.INSTALL) -> Work:
    return Work("i", "web", "apps", "oci://r/web", "", "1.2.0", {}, "sha256:bb", 30.0, action)


def _silent(kind: LogKind, text: str) -> None:
    pass


VARIABLES = {
    "FASIT_FAKE_FAILING": "nav/dev, nav/test",
    "FASIT_FAKE_UNHEALTHY": "nav/test",
    "FASIT_FAKE_ORPHANS": "nav/dev/legacy,nav/prod/old",
}


def test_the_variables_pick_out_their_environments() -> None:
    dev = FakeExecutor.from_environment("nav/dev", VARIABLES, delay=(0, 0))
    test = FakeExecutor.from_environment("nav/test", VARIABLES, delay=(0, 0))
    prod = FakeExecutor.from_environment("nav/prod", VARIABLES, delay=(0, 0))

    assert (dev.failing, dev.healthy) == (True, True)
    assert (test.failing, test.healthy) == (True, False)
    assert (prod.failing, prod.healthy) == (False, True)


async def test_orphans_are_in_the_inventory_from_the_start() -> None:
    dev = FakeExecutor.from_environment("nav/dev", VARIABLES, delay=(0, 0))

    inventory = await dev.inventory()

    assert [(r.name, r.namespace, r.version, r.status) for r in inventory.releases] == [
        ("legacy", "default", "1.0.0", "deployed")
    ]
    assert inventory.releases[0].release_hash.startswith("sha256:")


async def test_an_install_then_an_upgrade_then_an_uninstall() -> None:
    fake = FakeExecutor("nav/prod", delay=(0, 0))
    lines: list[tuple[LogKind, str]] = []

    first = await fake.apply(_work(), lambda kind, text: lines.append((kind, text)))
    second = await fake.apply(_work(), _silent)
    gone = await fake.apply(_work(Action.UNINSTALL), _silent)

    assert first.outcome is Outcome.DEPLOYED
    assert first.release is not None
    assert second.release is not None
    assert (first.release.revision, second.release.revision) == (1, 2)
    assert gone.outcome is Outcome.UNINSTALLED
    assert (await fake.inventory()).releases == ()
    assert len(lines) == 4
    assert lines[0][1].startswith("(fake) helm upgrade --install web oci://r/web --version 1.2.0")


async def test_a_failing_environment_fails_and_leaves_the_release_failed() -> None:
    fake = FakeExecutor("nav/dev", failing=True, delay=(0, 0))

    applied = await fake.apply(_work(), _silent)

    assert applied.outcome is Outcome.FAILED
    assert applied.error == "simulated failure: FASIT_FAKE_FAILING lists nav/dev"
    assert [r.status for r in (await fake.inventory()).releases] == ["failed"]


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        pytest.param(
            {"FASIT_FAKE_FAILING": "prod"}, "FASIT_FAKE_FAILING: 'prod' is not tenant/env"
        ),
        pytest.param(
            {"FASIT_FAKE_ORPHANS": "nav/prod"},
            "FASIT_FAKE_ORPHANS: 'nav/prod' is not tenant/env/release",
        ),
    ],
)
def test_a_malformed_entry_is_refused_naming_the_variable(
    variables: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        FakeExecutor.from_environment("nav/prod", variables)
