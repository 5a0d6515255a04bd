"""Template bombs: a short template that would build gigabytes is a render-error naming the
output budget, refused before the value is built (every bomb here peaked at 250-600 MB before)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.helpers import TEMPLATED_FEATURE_YAML as FEATURE_YAML
from tests.helpers import repo_with_template, run_cli

BUDGET = "65,536 characters, the render's output budget"

S = "{% set s = 'x' * 60000 %}"
# 4,096 references to one 60,000-character string, built without `*`: 245 MB when printed.
SHARED = S + "".join(
    f"{{% set {name} = [{', '.join([inner] * 8)}] %}}"
    for inner, name in (("s", "a"), ("a", "b"), ("b", "c"), ("c", "d"))
)
LOOP = "{% for i in range(12) %}{% set ns.v = ns.v OP ns.v %}{% endfor %}{{ ns.v | length }}"
DOUBLED = S + "{% set ns = namespace(v=s) %}" + LOOP
LIST_DOUBLED = "{% set ns = namespace(v=[0] * 60000) %}" + LOOP.replace("OP", "+")
BIGGEST = S + "{{ ([s] * 5000) | join }}"

BOMBS = [
    pytest.param(BIGGEST, id="join-of-repeated-list"),
    pytest.param(S + "{{ ''.join([s] * 5000) | length }}", id="str-join"),
    pytest.param(SHARED + "{{ d | join | length }}", id="join-of-shared-lists"),
    pytest.param(S + "{{ s | replace('x', s[:5000]) | length }}", id="replace"),
    pytest.param(S + "{{ s.replace('x', s[:5000]) | length }}", id="str-replace"),
    pytest.param(DOUBLED.replace("OP", "~"), id="concatenation"),
    pytest.param(DOUBLED.replace("OP", "+"), id="string-plus"),
    pytest.param(LIST_DOUBLED, id="list-plus"),
    pytest.param(SHARED + "{{ ('%s' % [d]) | length }}", id="percent"),
    pytest.param(SHARED + "{{ '%s' | format(d) | length }}", id="format-filter"),
    pytest.param(SHARED + "{{ '{}'.format(d) | length }}", id="str-format"),
    pytest.param(SHARED + "{{ d | string | length }}", id="string"),
    pytest.param(SHARED + "{{ d ~ '' | length }}", id="concatenating-a-list"),
    pytest.param(SHARED + "{{ d | tojson | length }}", id="tojson"),
    pytest.param(SHARED + "{{ d | to_json | length }}", id="to_json"),
    pytest.param(SHARED + "{{ d | pprint | length }}", id="pprint"),
    pytest.param(SHARED + "{{ d }}", id="printing"),
    pytest.param("{{ ('\\n' * 60000) | indent(5000) | length }}", id="indent"),
    pytest.param(
        "{{ ('x ' * 30000) | wordwrap(1, wrapstring='y' * 10000) | length }}", id="wordwrap"
    ),
    pytest.param("{{ 'x'.ljust(300000000) | length }}", id="ljust"),
    pytest.param("{{ ('\\t' * 60000).expandtabs(5000) | length }}", id="expandtabs"),
    pytest.param("{{ [1] | batch(30000000, 0) | list | length }}", id="batch"),
]


@pytest.mark.parametrize("template", BOMBS)
def test_a_template_bomb_is_a_render_error_naming_the_budget(tmp_path: Path, template: str) -> None:
    run = run_cli("validate", repo_with_template(tmp_path, template), "--format", "json")

    assert run.exit_code == 1
    assert run.problems() == [(FEATURE_YAML, 7, 26, "render-error")]
    message = run.json["problems"][0]["message"]
    assert "render limit" in message
    assert BUDGET in message


def _peak_rss_kib(repo: Path) -> int:
    """The most resident memory (VmHWM) `fasit validate` reached, read as it runs."""
    process = subprocess.Popen(
        [sys.executable, "-m", "fasit", "validate", str(repo)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    peak = [0]
    status = Path(f"/proc/{process.pid}/status")

    def poll() -> None:
        while process.poll() is None:
            try:
                lines = status.read_text().splitlines()
            except OSError:
                return
            for line in lines:
                if line.startswith("VmHWM:"):
                    peak[0] = max(peak[0], int(line.split()[1]))
            time.sleep(0.01)  # a polling interval, not an assertion about time

    poller = threading.Thread(target=poll)
    poller.start()
    process.wait(timeout=100)
    poller.join()
    return peak[0]


def test_the_biggest_bomb_costs_validate_no_more_than_100_mb(tmp_path: Path) -> None:
    plain = _peak_rss_kib(repo_with_template(tmp_path / "plain", "{{ env.project }}"))
    bomb = _peak_rss_kib(repo_with_template(tmp_path / "bomb", BIGGEST))

    assert plain > 0
    assert bomb - plain < 100 * 1024
