"""naisd's command line refuses what it cannot start with, naming the flag (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from naisd.cli import _parser, main


@pytest.fixture
def token(tmp_path: Path) -> Path:
    path = tmp_path / "token"
    path.write_text("s3cret\n", encoding="utf-8")
    return path


def _base(token: Path) -> list[str]:
    return ["--controller", "fasit:4445", "--environment", "nav/prod", "--token-file", str(token)]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(
            {"--controller": "fasit"}, "--controller 'fasit': expected HOST:PORT", id="port"
        ),
        pytest.param({"--controller": "fasit:99999"}, "expected HOST:PORT", id="port range"),
        pytest.param(
            {"--environment": "prod"}, "--environment 'prod': expected tenant/name", id="env"
        ),
        pytest.param({"--token-file": "/absent"}, "--token-file /absent: No such file", id="token"),
    ],
)
def test_a_bad_flag_is_named_and_naisd_exits_2(
    token: Path, capsys: pytest.CaptureFixture[str], change: dict[str, str], message: str
) -> None:
    argv = _base(token)
    for flag, value in change.items():
        argv[argv.index(flag) + 1] = value

    assert main(argv) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        pytest.param(["--tls-cert", "c.pem"], "--tls-cert and --tls-key go together", id="half"),
        pytest.param(
            ["--tls-cert", "c.pem", "--tls-key", "k.pem"], "--tls-cert needs --tls-ca", id="no ca"
        ),
        pytest.param(["--tls-ca", "/absent.pem"], "--tls-ca /absent.pem: No such file", id="ca"),
        pytest.param(
            ["--executor", "fake", "--fake-delay", "2-1"], "--fake-delay '2-1'", id="delay"
        ),
    ],
)
def test_bad_tls_and_fake_settings_are_named(
    token: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    assert main([*_base(token), *extra]) == 2
    assert message in capsys.readouterr().err


def test_an_empty_token_file_is_refused(token: Path, capsys: pytest.CaptureFixture[str]) -> None:
    token.write_text("\n", encoding="utf-8")

    assert main(_base(token)) == 2
    assert f"--token-file {token}: empty" in capsys.readouterr().err


def test_a_bad_state_file_is_refused(
    token: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "naisd-state.json").write_text("{", encoding="utf-8")

    assert main([*_base(token), "--state-dir", str(tmp_path)]) == 2
    assert "naisd-state.json: cannot read it as JSON" in capsys.readouterr().err


def test_a_bad_fake_variable_is_refused(
    token: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FASIT_FAKE_FAILING", "oops")

    assert main([*_base(token), "--executor", "fake"]) == 2
    assert "FASIT_FAKE_FAILING: 'oops' is not tenant/env" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flags", "environment", "message"),
    [
        pytest.param(
            ["--plain-http-registry", "oci://r:5000"],
            "",
            "--plain-http-registry 'oci://r:5000': expected HOST[:PORT]",
            id="flag",
        ),
        pytest.param(
            [],
            "r:5000, r:5000/charts",
            "NAISD_PLAIN_HTTP_REGISTRIES 'r:5000/charts': expected HOST[:PORT]",
            id="environment",
        ),
    ],
)
def test_a_plain_http_registry_that_is_not_host_and_port_is_refused(
    token: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    flags: list[str],
    environment: str,
    message: str,
) -> None:
    monkeypatch.setenv("NAISD_PLAIN_HTTP_REGISTRIES", environment)

    assert main([*_base(token), *flags]) == 2
    assert message in capsys.readouterr().err


def test_the_helm_executor_without_a_helm_binary_exits_2_naming_it(
    token: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    absent = tmp_path / "no-helm-here"

    assert main([*_base(token), "--helm", str(absent)]) == 2
    assert capsys.readouterr().err == (
        f"naisd: --helm {str(absent)!r}: no such executable (install Helm 4, or give its path)\n"
    )


def test_help_documents_every_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])

    actions = [a for a in _parser()._actions if a.option_strings]
    undocumented = [a.option_strings[-1] for a in actions if not a.help]
    assert undocumented == []
    assert "--inventory-interval" in capsys.readouterr().out
