"""Templates are deterministic: the same inputs render the same output in every process, so a
release hash changes only when its inputs do.

The names of Jinja's (and Sprig's) that read the clock, make randomness or compare object
identity are refused when a template compiles, taken branch or not, also when passed by name
to `map`, `select`, `reject`, `selectattr` or `rejectattr`. An output holding an object's
memory address (a function printed, not called) is refused as it appears.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from jinja2 import nodes

from fasit.errors import InvalidInput

__all__ = [
    "NOT_DETERMINISTIC",
    "SPRIG_REFUSED",
    "NotDeterministic",
    "refuse_address",
    "refuse_not_deterministic",
]

# Sprig's functions that read the clock or make randomness: never defined here, but named so
# that a template coming from Helm or nais/fasit learns why, and what to write instead.
SPRIG_REFUSED: Mapping[str, tuple[str, str]] = {
    "now": ("it reads the clock", "put the time you mean in a config value"),
    "uuidv4": ("it makes a new random id", "use sha256sum of a stable value, or a config value"),
    "shuffle": ("it orders at random", "sort, or keep the order given"),
    **dict.fromkeys(
        ("randAlphaNum", "randAlpha", "randNumeric", "randAscii", "randInt", "randBytes"),
        ("it makes random text", "generate it once and keep it as a secret (secretRef)"),
    ),
    **dict.fromkeys(
        ("genPrivateKey", "genCA", "genSelfSignedCert", "genSignedCert", "htpasswd"),
        ("it makes new keys or salts", "make them once and keep them as secrets (secretRef)"),
    ),
}

NOT_DETERMINISTIC: Mapping[tuple[str, str], str] = {
    ("filter", "random"): "it picks an item at random",
    ("global", "lipsum"): "it writes random text",
    ("test", "sameas"): "it compares object identity, which depends on how values are stored",
    **{
        (kind, name): why
        for name, (why, _) in SPRIG_REFUSED.items()
        for kind in ("global", "filter")
    },
}
"""(filter, test or global; name) → why it is refused. Every other filter, test and global of
Jinja's is a function of its arguments: none reads the clock, and none orders by hash."""

# Filters and tests that take another filter's or test's name as a string argument.
_BY_NAME = {
    "map": "filter",
    "select": "test",
    "reject": "test",
    "selectattr": "test",
    "rejectattr": "test",
}


class NotDeterministic(InvalidInput):
    """A template names a filter, test or global whose result differs from run to run."""


_ADDRESS = re.compile(r"<[^<>]* at 0x[0-9a-fA-F]+>")


def refuse_not_deterministic(tree: nodes.Template) -> None:
    # Jinja's meta.find_undeclared_variables would fail first on an unknown filter.
    names = list(tree.find_all(nodes.Name))
    assigned = {name.name for name in names if name.ctx != "load"}
    named = {("global", name.name) for name in names if name.name not in assigned}
    for node in tree.find_all((nodes.Filter, nodes.Test)):
        kind = "filter" if isinstance(node, nodes.Filter) else "test"
        named.add((kind, node.name))
        by_name = _BY_NAME.get(node.name)
        if by_name is not None:
            # `map("random")` names a filter; `selectattr("a", "sameas")` a test after its key.
            arguments = node.args[1:2] if node.name.endswith("attr") else node.args[:1]
            named.update(
                (by_name, argument.value)
                for argument in arguments
                if isinstance(argument, nodes.Const) and isinstance(argument.value, str)
            )
    for kind, name in sorted(named & NOT_DETERMINISTIC.keys()):
        reason = NOT_DETERMINISTIC[kind, name]
        instead = SPRIG_REFUSED.get(name, ("", ""))[1]
        raise NotDeterministic(
            f"`{name}` is not available: templates must be deterministic ({reason}, so the"
            " release hash would change from one plan to the next)"
            + (f"; instead, {instead}" if instead else "")
        )


def refuse_address(text: str) -> str:
    """`text`, unless it holds an object's default repr, whose memory address differs every run.

    `{{ env.items | string }}`, `~`, `format` and a list holding a function all print one; this
    one check covers every way to get there."""
    if "at 0x" in text:
        found = _ADDRESS.search(text)
        if found is not None:
            raise NotDeterministic(
                f"the output holds a memory address ({found.group()!r}): a function or object"
                " was printed, not a value (call the function); templates must be deterministic"
            )
    return text
