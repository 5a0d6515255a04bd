"""A chart's `.helmignore`, read as Helm's pkg/ignore reads it, so fasit packages what Helm would.

Helm's rules, not gitignore's: `#` comments and blank lines are skipped; a pattern is Go's
`filepath.Match` glob (`*`, `?`, `[...]` with `^` negation, `\\` escapes; `**` is an error);
a trailing `/` matches directories only; a leading `/` or any `/` matches the whole relative
path, otherwise the base name; `!pattern` ignores everything the pattern does NOT match (Helm's
semantics, so it narrows, it does not re-include). Helm also always ignores `templates/.?*`.
An ignored directory hides everything below it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fasit.errors import InvalidInput

__all__ = ["HELMIGNORE", "HelmIgnore", "HelmIgnoreError"]

HELMIGNORE = ".helmignore"
_DEFAULT_RULES = ("templates/.?*",)


class HelmIgnoreError(InvalidInput, ValueError):
    """A rule Helm rejects; `line` is 1-based in the .helmignore file."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True, slots=True)
class _Rule:
    regex: re.Pattern[str]
    negate: bool
    must_dir: bool
    whole_path: bool

    def matches(self, path: str) -> bool:
        return (
            self.regex.fullmatch(path if self.whole_path else path.rsplit("/", 1)[-1]) is not None
        )


class HelmIgnore:
    """The rules of one chart; `ignored(path)` for a file path relative to the chart."""

    def __init__(self, text: str) -> None:
        self._rules = [_rule(rule, 0) for rule in _DEFAULT_RULES]
        for number, line in enumerate(text.splitlines(), start=1):
            rule = line.strip()
            if rule and not rule.startswith("#"):
                self._rules.append(_rule(rule, number))

    def ignored(self, path: str) -> bool:
        """True when the file, or a directory above it, is ignored (Helm skips such dirs)."""
        parts = path.split("/")
        ancestors = ("/".join(parts[:depth]) for depth in range(1, len(parts)))
        return any(self._ignores(d, is_dir=True) for d in ancestors) or self._ignores(path, False)

    def _ignores(self, path: str, is_dir: bool) -> bool:
        # Helm's Rules.Ignore, rule for rule, in order: the first that decides wins.
        for rule in self._rules:
            if rule.negate:
                if (rule.must_dir and not is_dir) or not rule.matches(path):
                    return True
                continue
            if rule.must_dir and not is_dir:
                continue
            if rule.matches(path):
                return True
        return False


def _rule(rule: str, line: int) -> _Rule:
    if "**" in rule:
        raise HelmIgnoreError(line, f"double-star (**) syntax is not supported: {rule!r}")
    negate = rule.startswith("!")
    rule = rule.removeprefix("!")
    must_dir = rule.endswith("/")
    rule = rule.removesuffix("/")
    whole_path = "/" in rule
    rule = rule.removeprefix("/")
    return _Rule(re.compile(_glob_regex(rule, line)), negate, must_dir, whole_path)


def _glob_regex(glob: str, line: int) -> str:
    """Go's filepath.Match syntax as a regular expression (`*`, `?` never cross `/`)."""
    out: list[str] = []
    i = 0
    while i < len(glob):
        char = glob[i]
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "\\" and i + 1 < len(glob):
            i += 1
            out.append(re.escape(glob[i]))
        elif char == "[":
            end = glob.find("]", i + 2 if glob[i + 1 : i + 2] == "^" else i + 1)
            if end < 0:
                raise HelmIgnoreError(line, f"unterminated [ in pattern {glob!r}")
            body = glob[i + 1 : end]
            negated = body.startswith("^")
            body = body.removeprefix("^").replace("\\", "\\\\")
            out.append(f"[^/{body}]" if negated else f"(?!/)[{body}]")
            i = end
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)
