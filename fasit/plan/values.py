"""Values layering for one (environment, feature): computed < Feature config < Config.

1. Keys whose `ignoreKind` lists the environment's kind are left out, config and computed.
2. Config: the Feature's global `config`, then the environment's Config over it, each value
   checked against its Feature.yaml declaration; secret references resolved.
3. Computed templates render for the keys config did not set; they see the merged config
   (`configs`) and the environment scope (`kind`, `tenant`, `env`, `envs`, `management`).
4. Dotted keys nest; the `fasit:` block is added if the Feature.yaml opts in
   (`metadataValues: true`), else the values are exactly the declared ones; required keys
   still missing are listed.
5. Taint: when any secret is in reach, a second render with sentinels in place of secrets
   finds the computed values that depend on one; they are masked like secrets.

Pure apart from the secret provider. Messages never carry a secret's text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from jinja2.runtime import Context

from fasit.charts import ResolvedChart
from fasit.model import Config, Environment, Feature, ValueSpec, is_secret_ref
from fasit.plan.config_values import check_config_value
from fasit.plan.keys import KeyConflict, nest
from fasit.plan.release import Location
from fasit.plan.scopes import PROBE, EnvironmentScope, may_read
from fasit.plan.secrets import MASK, Resolved, SecretProvider, resolve_refs
from fasit.plan.templates import (
    CompiledTemplate,
    Read,
    RenderGroup,
    TemplateEngine,
    TemplateError,
)
from fasit.state import Located, ProblemCode

__all__ = [
    "RenderFailure",
    "Rendered",
    "ValueLayout",
    "render_values",
    "value_layout",
]

METADATA_KEY = "fasit"
_TENANT_NAMES = frozenset({"envs", "management"})


@dataclass(frozen=True, slots=True)
class ValueLayout:
    """One chart version's values on one environment kind, prepared once."""

    declared: Mapping[str, ValueSpec]
    included: frozenset[str]
    computed: tuple[tuple[str, CompiledTemplate | TemplateError], ...]
    required: tuple[str, ...]
    names: frozenset[str]
    """The context variables its templates read."""
    group: RenderGroup | None = None
    """Its computed templates as one reusable render, when they all compile and are reusable."""
    reads_tenant: bool = False
    """Whether its templates read other environments of the tenant (`envs`, `management`)."""
    _suspects: dict[frozenset[Read], tuple[tuple[str, CompiledTemplate], ...]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def suspects(self, secrets: frozenset[Read]) -> tuple[tuple[str, CompiledTemplate], ...]:
        """The computed values that may read a secret at `secrets` (remembered per set)."""
        found = self._suspects.get(secrets)
        if found is None:
            found = self._suspects[secrets] = tuple(
                (key, template)
                for key, template in self.computed
                if isinstance(template, CompiledTemplate) and may_read(template.reads, secrets)
            )
        return found


@dataclass(frozen=True, slots=True)
class Rendered:
    """The values of a release that can be planned."""

    flat: dict[str, object]
    values: dict[str, object]
    secret_keys: frozenset[str]
    ignored: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RenderFailure:
    """Why the values cannot be had: a render error or missing config."""

    code: ProblemCode
    """missing-config, or what kind of render error: a template, a config value, a key."""
    message: str
    location: Location | None
    keys: tuple[str, ...] = field(default=())

    @property
    def missing_config(self) -> bool:
        return self.code is ProblemCode.MISSING_CONFIG


_WITHHELD = "(the message is withheld: this template may read a secret)"


def value_layout(engine: TemplateEngine, chart: ResolvedChart, kind: str) -> ValueLayout:
    """Which of `chart`'s values apply to environments of `kind`, templates compiled."""
    declared = chart.feature_yaml.values
    included = frozenset(key for key, spec in declared.items() if kind not in spec.ignore_kind)
    computed: list[tuple[str, CompiledTemplate | TemplateError]] = []
    for key in sorted(included):
        spec = declared[key]
        if spec.computed is None:
            continue
        try:
            computed.append((key, engine.compile(spec.computed.template)))
        except TemplateError as exc:
            computed.append((key, exc))
    required = tuple(sorted(key for key in included if declared[key].required))
    names = frozenset(
        name
        for _, template in computed
        if isinstance(template, CompiledTemplate)
        for name in template.names
    )
    compiled = tuple(
        (key, template) for key, template in computed if isinstance(template, CompiledTemplate)
    )
    group = engine.group(compiled) if len(compiled) == len(computed) else None
    reads_tenant = bool(names & _TENANT_NAMES)
    return ValueLayout(declared, included, tuple(computed), required, names, group, reads_tenant)


def render_values(
    engine: TemplateEngine,
    layout: ValueLayout,
    chart: ResolvedChart,
    environment: Located[Environment],
    feature: Located[Feature],
    config: Located[Config] | None,
    scope: EnvironmentScope,
    provider: SecretProvider,
) -> Rendered | RenderFailure:
    """The values of one (environment, feature), or why they cannot be had."""
    configs: dict[str, object] = {}
    secret_config: dict[str, object] = {}
    ignored: list[str] = []
    for owner, field_name, given in _config_layers(feature, config):
        for key, value in given.items():
            issue = check_config_value(key, value, layout.declared.get(key))
            if issue is not None:
                where = owner.position(field_name, key)
                return RenderFailure(
                    issue.code,
                    f"config: {issue.message}",
                    Location(owner.file, where.line, where.column),
                    (key,),
                )
            if key not in layout.included:
                ignored.append(key)
                continue
            configs[key] = value
            if is_secret_ref(value):
                secret_config[key] = value
    secrets = scope.secret_texts
    reads = scope.secret_reads
    if secret_config:
        resolved = Resolved()
        for key, reference in secret_config.items():
            configs[key] = resolve_refs(reference, provider, resolved)
        if resolved.missing:
            return RenderFailure(
                ProblemCode.RENDER_ERROR, "; ".join(resolved.missing.values()), None
            )
        secrets = secrets | resolved.texts
        reads = reads | {("configs", key) for key in secret_config}
    computed: dict[str, object] = {}
    if layout.computed:
        failure = _render_computed(engine, layout, chart, scope, configs, computed, secrets, reads)
        if failure is not None:
            return failure
    flat = {**computed, **configs}
    secret_keys = set(secret_config)
    if computed and reads:
        suspects = [(key, t) for key, t in layout.suspects(reads) if key in computed]
        if suspects:
            secret_keys |= _tainted(engine, suspects, scope, configs, secret_config, computed)
    try:
        values = nest(flat)
    except KeyConflict as conflict:
        return RenderFailure(
            ProblemCode.VALUE_KEY_CONFLICT,
            str(conflict),
            _template_or_value(chart, conflict.other),
            (conflict.leaf, conflict.other),
        )
    if chart.feature_yaml.metadata_values:
        if METADATA_KEY in values:
            return RenderFailure(
                ProblemCode.VALUE_KEY_CONFLICT,
                f"value key {METADATA_KEY!r} is reserved for the metadata block fasit adds"
                " (metadataValues: true)",
                _template_or_value(chart, next(k for k in flat if k.split(".")[0] == METADATA_KEY)),
            )
        model = environment.model
        values[METADATA_KEY] = {
            "tenant": {"name": model.tenant},
            "env": {"name": model.name, "kind": model.environment_kind.value},
        }
    missing = [key for key in layout.required if key not in configs and flat.get(key) is None]
    if missing:
        return RenderFailure(
            ProblemCode.MISSING_CONFIG,
            f"required values without a value: {', '.join(missing)} (set them in the"
            " environment's Config or the Feature's config)",
            None,
            tuple(missing),
        )
    return Rendered(flat, values, frozenset(secret_keys), tuple(ignored))


def _config_layers(
    feature: Located[Feature], config: Located[Config] | None
) -> list[tuple[Located[Feature] | Located[Config], str, Mapping[str, object]]]:
    layers: list[tuple[Located[Feature] | Located[Config], str, Mapping[str, object]]] = []
    if feature.model.config:
        layers.append((feature, "config", feature.model.config))
    if config is not None:
        layers.append((config, "values", config.model.values))
    return layers


def _render_computed(
    engine: TemplateEngine,
    layout: ValueLayout,
    chart: ResolvedChart,
    scope: EnvironmentScope,
    configs: dict[str, object],
    computed: dict[str, object],
    secrets: frozenset[str],
    secret_reads: frozenset[Read],
) -> RenderFailure | None:
    variables = {**scope.variables, "configs": configs}
    group_key = None
    if layout.group is not None and not scope.missing:
        # The keys config sets are not rendered: part of the key, with every value read.
        group_key = engine.group_key(layout.group, tuple(configs), variables)
        if group_key is not None:
            outputs = engine.group_outputs(group_key)
            if outputs is not None:
                computed.update(outputs)
                return None
    contexts: list[Context] = []

    def made() -> Context:  # one context per pair, made only if a value is rendered
        if not contexts:
            contexts.append(engine.context(variables))
        return contexts[0]

    errors: list[tuple[str, str]] = []
    for key, template in layout.computed:
        if key in configs:
            continue
        if isinstance(template, TemplateError):
            errors.append((key, template.message))
            continue
        if scope.missing:
            missing = {
                name: reason
                for place, unresolved in scope.missing.items()
                if may_read(template.reads, frozenset({place}))
                for name, reason in unresolved.items()
            }
            if missing:
                errors.append((key, "; ".join(missing.values())))
                continue
        try:
            computed[key] = engine.render_over(template, variables, made)
        except TemplateError as exc:
            # Scrubbing finds a secret's own text only; a transformed one (upper, b64enc, …)
            # would be quoted, so a template that may read a secret says what failed, not how.
            if may_read(template.reads, secret_reads):
                errors.append((key, f"{exc.kind} {_WITHHELD}"))
            else:
                errors.append((key, exc.message))
    if not errors:
        if group_key is not None:
            engine.keep_group(group_key, dict(computed))
        return None
    message = "; ".join(f"{key}: {_scrub(text, secrets)}" for key, text in errors)
    return RenderFailure(
        ProblemCode.RENDER_ERROR,
        message,
        _template_or_value(chart, errors[0][0]),
        tuple(key for key, _ in errors),
    )


def _tainted(
    engine: TemplateEngine,
    suspects: Sequence[tuple[str, CompiledTemplate]],
    scope: EnvironmentScope,
    configs: Mapping[str, object],
    secret_config: Mapping[str, object],
    computed: Mapping[str, object],
) -> set[str]:
    """The suspects whose value changes when secrets are replaced by sentinels."""
    ignored = Resolved()
    probe_configs = {
        **configs,
        **{key: resolve_refs(value, PROBE, ignored) for key, value in secret_config.items()},
    }
    context = engine.context({**(scope.probe or scope.variables), "configs": probe_configs})
    tainted = set()
    for key, template in suspects:
        try:
            probed = engine.render(template, context)
        except TemplateError:
            return set(computed)  # cannot tell: mask every computed value
        if probed != computed[key]:
            tainted.add(key)
    return tainted


def _template_or_value(chart: ResolvedChart, key: str) -> Location:
    document = chart.feature_yaml_document
    path: list[str | int] = ["values", key]
    if key in chart.feature_yaml.values and chart.feature_yaml.values[key].computed is not None:
        path += ["computed", "template"]
    position = document.locate(path)
    return Location(chart.feature_yaml_file, position.line, position.column)


def _scrub(text: str, secrets: frozenset[str]) -> str:
    """`text` with every secret's text replaced by the mask, longest first."""
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text
