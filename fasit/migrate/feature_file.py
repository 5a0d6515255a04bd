"""A nais/fasit Feature.yaml converted into fasit's, as text: every `computed.template`
translated in place, everything else (comments, order, `environmentKinds`, `ignoreKind`,
dependencies) kept byte for byte.

`fasit migrate feature` (fasit/cli/_migrate.py) calls `convert_feature_yaml`; it reads and
writes no files. Each translation is checked by rendering both sides (verify.py). What a person
must finish (no translation, or one that renders differently) is left as written, marked with
a YAML comment above it, and returned as a finding with its line; a translation that could not
be checked is kept and returned as a note.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import yaml

from fasit.errors import InvalidInput
from fasit.migrate.gotemplate import Position
from fasit.migrate.translate import Translation, Untranslated, translate
from fasit.migrate.verify import Check, verify
from fasit.plan import TemplateEngine
from fasit.state import read_yaml

__all__ = ["MARKER", "Conversion", "Finding", "UnreadableFeatureYaml", "convert_feature_yaml"]

MARKER = "# fasit migrate:"
"""The start of the comment above what a person must finish."""


class UnreadableFeatureYaml(InvalidInput):
    """The text is not a YAML mapping (the message starts with line:column)."""


@dataclass(frozen=True)
class Finding:
    """Something a person must finish: where (1-based line:column in the file) and what."""

    line: int
    column: int
    message: str


@dataclass(frozen=True)
class Conversion:
    """The converted text, how many templates changed, what is left for a person, and the
    translations kept that could not be checked (`notes`)."""

    text: str
    translated: int
    findings: tuple[Finding, ...]
    notes: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class _Template:
    key: str
    key_node: yaml.Node
    node: yaml.ScalarNode


def convert_feature_yaml(text: str, name: str = "Feature.yaml") -> Conversion:
    """The Feature.yaml in fasit's dialect; raises UnreadableFeatureYaml when it is no YAML
    mapping."""
    root = _root(text, name)
    templates = list(_templates(root))
    findings: list[Finding] = []
    notes: list[Finding] = []
    comments: dict[int, list[str]] = {}
    edits: list[tuple[_Template, str]] = []
    engine = TemplateEngine()
    for template in templates:
        translation = _translated(template.node.value)
        where = f"values.{template.key}.computed.template"
        start = template.node.start_mark
        if translation.text is None:
            for item in translation.untranslated:
                line, column = _file_position(text, template.node, item)
                findings.append(Finding(line, column, f"{where}: {item.reason}"))
                comments.setdefault(template.key_node.start_mark.line, []).append(
                    f"{MARKER} could not translate this template at {item.position}: {item.reason}"
                )
            continue
        if translation.text == template.node.value:
            continue
        verdict = verify(template.node.value, translation.text, engine)
        if verdict.check is Check.DIFFERS:
            message = f"translated but not verified: {verdict.detail}"
            findings.append(Finding(start.line + 1, start.column + 1, f"{where}: {message}"))
            lines = [f"{MARKER} {message}"]
            if "\n" not in translation.text:
                lines.append(f"{MARKER} the translation, to finish by hand: {translation.text}")
            comments.setdefault(template.key_node.start_mark.line, []).extend(lines)
            continue
        if verdict.check is Check.UNVERIFIED:
            message = f"{where}: not verified: {verdict.detail}"
            notes.append(Finding(start.line + 1, start.column + 1, message))
        edits.append((template, translation.text))
    target = _key(root, "target")
    if target is not None:
        findings.append(
            Finding(
                target.start_mark.line + 1,
                target.start_mark.column + 1,
                "target: a label selector in Feature.yaml is refused by fasit; move its labels"
                " to the assignments' `target` and delete it here",
            )
        )
        comments.setdefault(target.start_mark.line, []).append(
            f"{MARKER} move these labels to the assignments' `target`, then delete this field"
        )
    _keep_metadata_values(root, text, comments)
    converted = _edited(text, edits, comments, name)
    findings.sort(key=lambda finding: (finding.line, finding.column))
    return Conversion(converted, len(edits), tuple(findings), tuple(notes))


def _translated(template: str) -> Translation:
    """The template translated; one holding Jinja's own tags is most likely converted already
    (a second run), so it is left for a person to look at rather than escaped."""
    jinja = next((tag for tag in ("{%", "{#") if tag in template), None)
    if jinja is not None:
        at = template.index(jinja)
        line = template.count("\n", 0, at) + 1
        column = at - (template.rfind("\n", 0, at) + 1) + 1
        reason = f"holds `{jinja}`, a Jinja tag: converted already? left as it is"
        return Translation(None, (Untranslated(Position(line, column), reason),))
    return translate(template)


def _keep_metadata_values(root: yaml.MappingNode, text: str, inserts: dict[int, list[str]]) -> None:
    """nais/fasit gave every chart the values `fasit: {tenant: {name}, env: {name, kind}}`;
    fasit does where `metadataValues: true` says so, added here above `values:` (unless the
    file decides it already, declares keys of its own under `fasit`, or is no block mapping)."""
    values = _value(root, "values")
    declared = (
        [str(key.value) for key, _ in values.value] if isinstance(values, yaml.MappingNode) else []
    )
    if root.flow_style or _key(root, "metadataValues") is not None:
        return
    if any(key == "fasit" or key.startswith("fasit.") for key in declared):
        return
    lines = [
        "# nais/fasit gave every chart .Values.fasit (tenant and environment names, kind);",
        "# keep it, or delete this when the chart does not read them",
        "metadataValues: true",
    ]
    values_key = _key(root, "values")
    if values_key is not None and values_key.start_mark.column == 0:
        inserts.setdefault(values_key.start_mark.line, []).extend(lines)
    else:
        inserts.setdefault(text.count("\n") + (0 if text.endswith("\n") else 1), []).extend(lines)


def _root(text: str, name: str) -> yaml.MappingNode:
    read = read_yaml(text, name)
    if read.problems:
        problem = read.problems[0]
        raise UnreadableFeatureYaml(f"{problem.line or 1}:{problem.column or 1}: {problem.message}")
    if len(read.documents) != 1 or not isinstance(read.documents[0].root, yaml.MappingNode):
        raise UnreadableFeatureYaml("1:1: a Feature.yaml is one YAML mapping")
    return read.documents[0].root


def _key(mapping: yaml.Node, name: str) -> yaml.Node | None:
    if not isinstance(mapping, yaml.MappingNode):
        return None
    return next((key for key, _ in mapping.value if key.value == name), None)


def _value(mapping: yaml.Node, name: str) -> yaml.Node | None:
    if not isinstance(mapping, yaml.MappingNode):
        return None
    return next((value for key, value in mapping.value if key.value == name), None)


def _templates(root: yaml.MappingNode) -> list[_Template]:
    values = _value(root, "values")
    found: list[_Template] = []
    if not isinstance(values, yaml.MappingNode):
        return found
    for key, declaration in values.value:
        computed = _value(declaration, "computed")
        node = _value(computed, "template") if computed is not None else None
        key_node = _key(computed, "template") if computed is not None else None
        if isinstance(node, yaml.ScalarNode) and key_node is not None and node.tag.endswith("str"):
            found.append(_Template(str(key.value), key_node, node))
    return found


def _file_position(text: str, node: yaml.ScalarNode, item: Untranslated) -> tuple[int, int]:
    """Where in the file a line:column of a template is (exact for block scalars and one-line
    quoted ones; else the line where the value starts)."""
    start = node.start_mark
    if node.style in ("|", ">"):
        indent = _block_indent(text, node)
        return start.line + 1 + item.position.line, indent + item.position.column
    if item.position.line == 1:
        quoted = 1 if node.style in ("'", '"') else 0
        return start.line + 1, start.column + quoted + item.position.column
    return start.line + 1, start.column + 1


def _block_indent(text: str, node: yaml.ScalarNode) -> int:
    span = text[node.start_mark.index : node.end_mark.index]
    for line in span.split("\n")[1:]:
        if line.strip():
            return len(line) - len(line.lstrip(" "))
    return node.start_mark.column + 2


def _scalar(text: str, node: yaml.ScalarNode, value: str, *, plain_quotes: bool) -> str:
    """`value` written the way the original scalar was, where it can be."""
    if node.style in ("|", ">") and not plain_quotes:
        lines = value.split("\n")
        chomp = "" if value.endswith("\n") else "-"
        if value.endswith("\n"):
            lines.pop()
        if value and not value.endswith("\n\n") and not value.startswith((" ", "\n")):
            indent = " " * _block_indent(text, node)
            span = text[node.start_mark.index : node.end_mark.index]
            blank_after = len(span) - len(span.rstrip("\n")) - 1
            body = "\n".join(indent + line if line else "" for line in lines)
            return f"|{chomp}\n{body}\n" + "\n" * max(blank_after, 0)
    if node.style == "'" and "\n" not in value and not plain_quotes:
        return "'" + value.replace("'", "''") + "'"
    if node.style is None and "\n" not in value and not plain_quotes:
        return "'" + value.replace("'", "''") + "'"
    return json.dumps(value, ensure_ascii=False)


def _edited(
    text: str,
    edits: list[tuple[_Template, str]],
    comments: dict[int, list[str]],
    name: str,
) -> str:
    """The text with each template replaced and each comment put above its line; a value that
    does not read back as meant is written double-quoted instead."""
    fallback: set[str] = set()
    for _ in range(2):
        converted = _apply(text, edits, comments, fallback)
        wrong = _misread(converted, edits, name)
        if not wrong:
            return converted
        fallback |= wrong
    raise AssertionError(f"fasit migrate wrote values that read back differently: {wrong}")


def _apply(
    text: str,
    edits: list[tuple[_Template, str]],
    comments: dict[int, list[str]],
    fallback: set[str],
) -> str:
    replaced = text
    for template, value in sorted(edits, key=lambda e: -e[0].node.start_mark.index):
        node = template.node
        scalar = _scalar(text, node, value, plain_quotes=template.key in fallback)
        replaced = replaced[: node.start_mark.index] + scalar + replaced[node.end_mark.index :]
    if not comments:
        return replaced
    return _insert_comments(text, replaced, edits, comments, fallback)


def _insert_comments(
    text: str,
    replaced: str,
    edits: list[tuple[_Template, str]],
    comments: dict[int, list[str]],
    fallback: set[str],
) -> str:
    """Each comment above its original line, moved by the lines the edits above it added."""
    shift_at: list[tuple[int, int]] = []  # (the edited value's first line, lines it added)
    for template, value in edits:
        node = template.node
        before = text[node.start_mark.index : node.end_mark.index].count("\n")
        after = _scalar(text, node, value, plain_quotes=template.key in fallback).count("\n")
        shift_at.append((node.start_mark.line, after - before))
    lines = replaced.split("\n")
    for line in sorted(comments, reverse=True):
        shifted = line + sum(delta for at, delta in shift_at if at < line)
        current = lines[shifted] if shifted < len(lines) else ""
        indent = current[: len(current) - len(current.lstrip(" "))]
        lines[shifted:shifted] = [f"{indent}{comment}" for comment in comments[line]]
    return "\n".join(lines)


def _misread(converted: str, edits: list[tuple[_Template, str]], name: str) -> set[str]:
    root = _root(converted, name)
    read = {template.key: template.node.value for template in _templates(root)}
    return {template.key for template, value in edits if read.get(template.key) != value}
