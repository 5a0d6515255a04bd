"""What checking values against a chart needs: its defaults, its schema, and its subcharts'.

Read from every chart, in-repo or oci://, besides Chart.yaml and Feature.yaml: `values.yaml`
(the defaults helm merges under the values), `values.schema.json` (checked to be a schema of
the draft it declares; draft 2020-12 when it declares none, as Helm 4), and for each subchart,
vendored as `charts/<name>.tgz` (read from the nested archive in memory, within the limits of
the whole tree) or as a `charts/<name>/` directory, the same three files, to a bounded depth.
`crds/` and templates are not read: nothing in them constrains values.

The result, a `ChartSchema` tree, is pure data on the resolved chart and part of no digest: the
digest already covers every file it comes from.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Final

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from referencing import Registry

from fasit.charts.archive import ArchiveBudget, ArchiveError, read_archive
from fasit.state import LoadLimits, Problem, ProblemCode, parse_yaml_bytes

__all__ = [
    "MAX_SUBCHART_DEPTH",
    "VALUES_SCHEMA",
    "VALUES_YAML",
    "ChartSchema",
    "Subchart",
    "read_chart_schema",
    "schema_member",
    "text_keys",
]

VALUES_YAML: Final = "values.yaml"
VALUES_SCHEMA: Final = "values.schema.json"
MAX_SUBCHART_DEPTH: Final = 5
_CHART_YAML: Final = "Chart.yaml"
_READ: Final = frozenset({_CHART_YAML, VALUES_YAML, VALUES_SCHEMA})
_TOO_DEEP: Final = "nested too deeply for fasit to check"


@dataclass(frozen=True, slots=True)
class Subchart:
    """A dependency of a chart as its values see it: under `key` (its alias, else its name)."""

    key: str
    chart: ChartSchema
    condition: str = ""
    """Chart.yaml's `condition`: comma-separated value paths, the first boolean one decides."""


@dataclass(frozen=True, slots=True)
class ChartSchema:
    """One chart's defaults and schema (None: it has no values.schema.json), and its subcharts.

    `defaults` is never mutated: merging builds new mappings.
    """

    name: str
    defaults: Mapping[str, object]
    schema_file: str | None = None
    validator: Validator | None = field(default=None, compare=False)
    subcharts: tuple[Subchart, ...] = ()


def text_keys(value: object) -> object:
    """`value` with every mapping key as text, as helm's values are JSON (YAML allows `1:` and
    `true:` as keys; helm reads them as "1" and "true")."""
    if isinstance(value, Mapping):
        return {
            key if isinstance(key, str) else json.dumps(key): text_keys(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [text_keys(item) for item in value]
    return value


def schema_member(root: str) -> Callable[[str], bool]:
    """Whether an archive member below `root/` is one `read_chart_schema` needs."""
    prefix = root + "/"
    return lambda name: name.startswith(prefix) and _wanted(name.removeprefix(prefix))


def read_chart_schema(
    files: Mapping[str, bytes],
    where: str,
    limits: LoadLimits,
    budget: ArchiveBudget,
    root: str = "",
) -> tuple[ChartSchema | None, list[Problem]]:
    """The tree of the chart whose files are `files`, by path below its root (`root`/ when set).

    `where` prefixes the paths problems name; `budget` is what nested archives may still use.
    Files other than those `schema_member` accepts are ignored.
    """
    if root:
        files = {
            name.removeprefix(root + "/"): data
            for name, data in files.items()
            if name.startswith(root + "/")
        }
    problems: list[Problem] = []
    tree = _Reader(limits, budget, problems).chart(files, where, 0)
    return (None if problems else tree), problems


def _wanted(path: str) -> bool:
    parts = path.split("/")
    while len(parts) > 2 and parts[0] == "charts":  # charts/<sub>/…: the subchart's own files
        parts = parts[2:]
    if len(parts) == 1:
        return parts[0] in _READ
    return len(parts) == 2 and parts[0] == "charts" and parts[1].endswith(".tgz")


class _Reader:
    def __init__(self, limits: LoadLimits, budget: ArchiveBudget, problems: list[Problem]):
        self._limits = limits
        self._budget = budget
        self._problems = problems

    def chart(self, files: Mapping[str, bytes], where: str, depth: int) -> ChartSchema:
        # The top chart's Chart.yaml is judged with Feature.yaml (chart_files.py), not again.
        chart_code = ProblemCode.CHART_YAML_INVALID if depth else None
        chart_yaml = self._yaml(files, where, _CHART_YAML, chart_code)
        name = chart_yaml.get("name")
        defaults = self._yaml(files, where, VALUES_YAML, ProblemCode.CHART_VALUES_INVALID)
        schema_file, validator = self._schema(files, where)
        found = self._subcharts(files, where, depth)
        return ChartSchema(
            name if isinstance(name, str) else where.rsplit("/", 1)[-1],
            defaults,
            schema_file,
            validator,
            _keyed(found, chart_yaml.get("dependencies")),
        )

    def _subcharts(self, files: Mapping[str, bytes], where: str, depth: int) -> list[ChartSchema]:
        directories: dict[str, dict[str, bytes]] = {}
        archives: list[str] = []
        for path in sorted(files):
            parts = path.split("/", 2)
            if len(parts) == 3 and parts[0] == "charts":
                directories.setdefault(parts[1], {})[parts[2]] = files[path]
            elif len(parts) == 2 and parts[0] == "charts" and parts[1].endswith(".tgz"):
                archives.append(path)
        if not directories and not archives:
            return []
        if depth >= MAX_SUBCHART_DEPTH:
            self._problem(
                f"{where}/charts",
                ProblemCode.CHART_INCOMPLETE,
                f"subcharts nest deeper than {MAX_SUBCHART_DEPTH} levels",
            )
            return []
        found = [
            self.chart(below, f"{where}/charts/{name}", depth + 1)
            for name, below in directories.items()
        ]
        for path in archives:
            found.extend(self._archive(files[path], f"{where}/{path}", depth + 1))
        return found

    def _archive(self, data: bytes, where: str, depth: int) -> list[ChartSchema]:
        """The chart in a vendored subchart archive (its one top directory)."""
        try:
            members = read_archive(data, _wanted_nested, budget=self._budget)
        except ArchiveError as exc:
            self._problem(where, ProblemCode.CHART_INCOMPLETE, f"the subchart archive is {exc}")
            return []
        roots = sorted({name.split("/", 1)[0] for name in members})
        return [
            self.chart(
                {
                    name.removeprefix(root + "/"): content
                    for name, content in members.items()
                    if name.startswith(root + "/")
                },
                f"{where}/{root}",
                depth,
            )
            for root in roots
        ]

    def _yaml(
        self, files: Mapping[str, bytes], where: str, name: str, code: ProblemCode | None
    ) -> Mapping[str, object]:
        """The mapping in a YAML file of the chart ({} when absent, empty or not valid).

        What is wrong with it is a problem of `code`; none is reported when `code` is None.
        """
        content = files.get(name)
        if content is None:
            return {}
        path = f"{where}/{name}"
        problems: list[Problem] = []
        data = self._mapping(path, content, problems)
        if code is not None:
            self._problems.extend(replace(problem, code=code) for problem in problems)
        return data

    def _mapping(self, path: str, content: bytes, problems: list[Problem]) -> Mapping[str, object]:
        # The code is set by the caller: which file it is decides whose problem it is.
        code = ProblemCode.CHART_VALUES_INVALID
        if not self._fits(path, content, code, problems):
            return {}
        parsed = parse_yaml_bytes(path, content, self._limits)
        problems.extend(parsed.problems)
        if parsed.problems or not parsed.documents:
            return {}
        data = parsed.documents[0].data
        if len(parsed.documents) > 1 or not isinstance(data, dict | None):
            problems.append(Problem(path, 1, 1, code, "expected one YAML mapping"))
            return {}
        keyed = text_keys(data or {})
        assert isinstance(keyed, dict)
        return keyed

    def _schema(
        self, files: Mapping[str, bytes], where: str
    ) -> tuple[str | None, Validator | None]:
        content = files.get(VALUES_SCHEMA)
        if content is None:
            return None, None
        path = f"{where}/{VALUES_SCHEMA}"
        code = ProblemCode.CHART_SCHEMA_INVALID
        if not self._fits(path, content, code, self._problems):
            return None, None
        try:
            schema = json.loads(content)
        except RecursionError:  # Python's parser recurses per level; Go's (helm's) stops later
            self._problem(path, code, _TOO_DEEP)
            return None, None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            if isinstance(exc, json.JSONDecodeError):
                problem = Problem(path, exc.lineno, exc.colno, code, f"not JSON: {exc.msg}")
            else:
                problem = Problem(path, None, None, code, "not JSON: not UTF-8 text")
            self._problems.append(problem)
            return None, None
        if not isinstance(schema, dict | bool):
            self._problem(path, code, "a schema is a JSON object (or a boolean)")
            return None, None
        # Helm 4 reads a schema without `$schema` as 2020-12 (its engine refuses a draft-7 tuple
        # `items` there, and enforces `dependentRequired`), not as draft 7.
        kind = validator_for(schema, default=Draft202012Validator)
        try:
            kind.check_schema(schema)  # type: ignore[arg-type]  # a boolean is a schema too
        except SchemaError as exc:
            at = "/".join(str(part) for part in exc.absolute_path) or "(top level)"
            draft = kind.META_SCHEMA.get("$schema", "its draft")
            message = f"not a valid schema of {draft}: at {at}: {exc.message}"
            line, column = self._json_position(path, content, list(exc.absolute_path))
            self._problems.append(Problem(path, line, column, code, message))
            return None, None
        except RecursionError:  # jsonschema walks the metaschema over it recursively
            self._problem(path, code, _TOO_DEEP)
            return None, None
        # An empty registry: a $ref to anything outside the file is never fetched.
        return path, kind(schema, registry=Registry())

    def _json_position(
        self, path: str, content: bytes, at: list[str | int]
    ) -> tuple[int | None, int | None]:
        """Where `at` is in the JSON text: JSON is YAML, whose reader knows positions."""
        parsed = parse_yaml_bytes(path, content, self._limits)
        if parsed.problems or len(parsed.documents) != 1:
            return None, None
        position = parsed.documents[0].locate(at)
        return position.line, position.column

    def _fits(self, path: str, content: bytes, code: ProblemCode, problems: list[Problem]) -> bool:
        if len(content) <= self._limits.max_file_bytes:
            return True
        limit = self._limits.max_file_bytes
        problems.append(Problem(path, None, None, code, f"larger than {limit:,} bytes"))
        return False

    def _problem(self, path: str, code: ProblemCode, message: str) -> None:
        self._problems.append(Problem(path, None, None, code, message))


def _wanted_nested(name: str) -> bool:
    """A member of a vendored archive: `<its top directory>/<a file the tree needs>`."""
    parts = name.split("/", 1)
    return len(parts) == 2 and _wanted(parts[1])


def _keyed(found: list[ChartSchema], dependencies: object) -> tuple[Subchart, ...]:
    """Subcharts under the key their values have: each Chart.yaml dependency's alias or name.

    A vendored chart no dependency names is used under its own name, as Helm does; a
    dependency that is not vendored is not there to check.
    """
    by_name = {chart.name: chart for chart in found}
    listed = dependencies if isinstance(dependencies, list) else []
    keyed: dict[str, Subchart] = {}
    named: set[str] = set()
    for dependency in listed:
        if not isinstance(dependency, dict) or dependency.get("name") not in by_name:
            continue
        name = dependency["name"]
        alias = dependency.get("alias")
        key = alias if isinstance(alias, str) and alias else name
        condition = dependency.get("condition")
        keyed[key] = Subchart(key, by_name[name], condition if isinstance(condition, str) else "")
        named.add(name)
    for chart in found:
        if chart.name not in named:
            keyed.setdefault(chart.name, Subchart(chart.name, chart))
    return tuple(keyed[key] for key in sorted(keyed))
