"""The planner: a snapshot and its charts in, one DesiredRelease per targeted pair out.

Pure over immutable inputs (the secret provider aside). For each (environment, feature) an
assignment reaches, in the order of DESIGN.md §4: `disabled`, `chart-unavailable` (nothing
else can be known without the chart), `kind-mismatch`, `missing-dependency`, `render-error`,
`missing-config`, `values-invalid` (the chart's values.schema.json, schema_check.py), else
`planned`.

Incremental: a pair is rendered again only when one of its input documents has another content
key than last time (`Located.key`: file, content id, place in the file), its chart's identity
(digest, or why it is unavailable) changed, or the secrets changed; keys hold across builders
and parse caches. Dependencies are settled afterwards over the whole plan (`dependencies.py`),
which is cheap: they read statuses, not values.
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Iterator, KeysView, Mapping
from dataclasses import dataclass, replace

from fasit.charts import ResolvedChart
from fasit.model import (
    Assignment,
    Config,
    Environment,
    EnvironmentKind,
    Feature,
    is_secret_ref,
)
from fasit.plan.dependencies import settle_dependencies
from fasit.plan.feature_checks import ChartSet
from fasit.plan.release import DesiredRelease, ReleaseStatus
from fasit.plan.revision_plan import Plan
from fasit.plan.sandbox import RenderLimits
from fasit.plan.schema_check import check_values, traced, violations_message
from fasit.plan.scopes import EnvironmentScope, tenant_scopes
from fasit.plan.secrets import Placeholders, SecretProvider
from fasit.plan.server_values import ServerValues
from fasit.plan.templates import TemplateEngine
from fasit.plan.touched import PlanInputs, touched_pairs
from fasit.plan.values import (
    RenderFailure,
    ValueLayout,
    render_values,
    value_layout,
)
from fasit.state import (
    Located,
    ProblemCode,
    Snapshot,
    StateIndex,
    WaveLayout,
    rollout_of,
)

__all__ = ["Planner"]


@dataclass(frozen=True, slots=True)
class _Entry:
    key: tuple[object, ...]
    """What the release was planned from, by content (`Planner._prepare`)."""
    release: DesiredRelease


class _Releases(Mapping[tuple[str, str], DesiredRelease]):
    """The releases of entries, without copying them out."""

    def __init__(self, entries: Mapping[tuple[str, str], _Entry]) -> None:
        self._entries = entries

    def __getitem__(self, pair: tuple[str, str]) -> DesiredRelease:
        return self._entries[pair].release

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def keys(self) -> KeysView[tuple[str, str]]:
        return self._entries.keys()


class Planner:
    """Plans revisions; remembers the last plan to recompute only what changed."""

    def __init__(
        self,
        secrets: SecretProvider | None = None,
        limits: RenderLimits | None = None,
        plans_kept: int = 4,
        server_values: ServerValues | None = None,
    ) -> None:
        self.secrets: SecretProvider = secrets or Placeholders()
        self.server_values = server_values
        """The `fasit` namespace of templates; None: placeholders."""
        self._engine = TemplateEngine(limits)
        self._layouts: dict[tuple[str, str, EnvironmentKind], ValueLayout] = {}
        self._entries: dict[tuple[str, str], _Entry] = {}
        # Per tenant: its environments' content keys, and the scopes made from them.
        self._tenants: dict[str, tuple[tuple[str, ...], dict[str, EnvironmentScope]]] = {}
        self._plans: OrderedDict[tuple[str, str, str], Plan] = OrderedDict()
        self._plans_kept = plans_kept
        self._secrets_version = ""
        self._inputs: PlanInputs | None = None
        self._settled: dict[tuple[str, str], DesiredRelease] = {}

    def plan(self, snapshot: Snapshot, charts: ChartSet) -> Plan:
        """The plan of `snapshot` (the same object for a revision planned lately)."""
        secrets_version = self.secrets.version()
        # The same revision meets new charts when a tag moves or a registry comes back.
        cache_key = (snapshot.revision.id, secrets_version, charts.fingerprint)
        cached = self._plans.get(cache_key)
        if cached is not None:
            self._plans.move_to_end(cache_key)
            return cached
        plan = self._plan(snapshot, charts, secrets_version)
        self._plans[cache_key] = plan
        if len(self._plans) > self._plans_kept:
            self._plans.popitem(last=False)
        return plan

    def _plan(self, snapshot: Snapshot, charts: ChartSet, secrets_version: str) -> Plan:
        if secrets_version != self._secrets_version:  # tenants holding secrets resolve again
            self._tenants = {
                tenant: held
                for tenant, held in self._tenants.items()
                if not any(scope.probe is not None or scope.missing for scope in held[1].values())
            }
            self._secrets_version = secrets_version
        index = snapshot.index
        scopes = self._scopes(list(index.environments.values()))
        inputs = PlanInputs(index, snapshot.targeting, charts.identities, secrets_version)
        touched = None if self._inputs is None else touched_pairs(self._inputs, inputs)
        winners = snapshot.targeting.winners
        if touched is None:
            entries: dict[tuple[str, str], _Entry] = {}
            visit: Iterable[tuple[str, str]] = winners
        else:
            entries = dict(self._entries)
            for pair in touched - winners.keys():
                entries.pop(pair, None)
            visit = touched & winners.keys()
        rendered = 0
        for pair in visit:
            key, decide = self._prepare(pair, winners[pair], index, charts, scopes[pair[0]])
            previous = self._entries.get(pair)
            if previous is not None and previous.key == key:
                entries[pair] = previous
                continue
            rendered += 1
            entries[pair] = _Entry(key, decide())
        self._entries = entries
        self._inputs = inputs
        affected = None if touched is None else _with_dependents(touched, entries, charts)
        releases = settle_dependencies(
            _Releases(entries),
            set(index.features),
            None if touched is None else self._settled,
            affected,
        )
        self._settled = releases
        prune = frozenset(name for name, feature in index.features.items() if feature.model.prune)
        return Plan(
            snapshot.revision,
            releases,
            rendered,
            prune,
            index.environments,
            frozenset(index.features),
            frozenset(name for name, feature in index.features.items() if feature.model.protected),
            snapshot.load.state.index.prune,
            _feature_rollouts(index),
        )

    def _prepare(
        self,
        pair: tuple[str, str],
        assignment: Located[Assignment],
        index: StateIndex,
        charts: ChartSet,
        scope: EnvironmentScope,
    ) -> tuple[tuple[object, ...], Callable[[], DesiredRelease]]:
        """The content key of a pair's inputs, and how to plan it when they are new."""
        environment_id, feature_name = pair
        environment = index.environments[environment_id]
        feature = index.features[feature_name]
        config = index.configs.get(pair)
        chart = charts.chart(feature_name, assignment.model.version)
        layout = None if chart is None else self._layout(chart, environment.model.environment_kind)
        uses_scope = layout is not None and layout.reads_tenant
        key = (
            environment.key,
            assignment.key,
            feature.key,
            None if config is None else config.key,
            # The digest, or why there is none: a chart broken another way says so anew.
            charts.identities.get((feature_name, assignment.model.version)),
            self._tenants[environment.model.tenant][0] if uses_scope else (),
            self._secrets_version if _reads_secrets(scope, feature, config) else "",
        )

        def decide() -> DesiredRelease:
            return self._decide(
                environment, feature, assignment, config, chart, layout, charts, scope
            )

        return key, decide

    def _scopes(self, environments: list[Located[Environment]]) -> dict[str, EnvironmentScope]:
        """Scopes by environment id; a tenant whose environments are unchanged keeps its own."""
        by_tenant: dict[str, list[Located[Environment]]] = {}
        for environment in environments:
            by_tenant.setdefault(environment.model.tenant, []).append(environment)
        scopes: dict[str, EnvironmentScope] = {}
        tenants = {}
        for tenant, members in by_tenant.items():
            keys = tuple(member.key for member in members)
            previous = self._tenants.get(tenant)
            if previous is not None and previous[0] == keys:
                tenants[tenant] = previous
            else:
                models = [member.model for member in members]
                tenants[tenant] = (keys, tenant_scopes(models, self.secrets, self.server_values))
            scopes.update(tenants[tenant][1])
        self._tenants = tenants
        return scopes

    def _layout(self, chart: ResolvedChart, kind: EnvironmentKind) -> ValueLayout:
        key = (chart.location, chart.digest, kind)
        layout = self._layouts.get(key)
        if layout is None:
            layout = self._layouts[key] = value_layout(self._engine, chart, kind.value)
        return layout

    def _decide(
        self,
        environment: Located[Environment],
        feature: Located[Feature],
        assignment: Located[Assignment],
        config: Located[Config] | None,
        chart: ResolvedChart | None,
        layout: ValueLayout | None,
        charts: ChartSet,
        scope: EnvironmentScope,
    ) -> DesiredRelease:
        def release(
            status: ReleaseStatus, message: str, code: ProblemCode | None = None
        ) -> DesiredRelease:
            return DesiredRelease(
                environment, feature, assignment, status, message, chart, config, code=code
            )

        if not environment.model.reconcile:
            return release(
                ReleaseStatus.DISABLED,
                f"{environment.model.id} has reconcile: false ({environment.where('reconcile')})",
            )
        if not assignment.model.enabled:
            return release(
                ReleaseStatus.DISABLED,
                f"the winning assignment disables it ({assignment.where('enabled')})",
            )
        if chart is None or layout is None:
            return release(
                ReleaseStatus.CHART_UNAVAILABLE,
                charts.unavailable_reason(feature.model.name, assignment.model.version),
            )
        kinds = chart.feature_yaml.environment_kinds
        if environment.model.environment_kind not in kinds:
            return release(
                ReleaseStatus.KIND_MISMATCH,
                f"{feature.model.name} {chart.version} runs on {', '.join(kinds)}"
                f" (its Feature.yaml), not on {environment.model.environment_kind.value}",
                ProblemCode.KIND_MISMATCH,
            )
        outcome = render_values(
            self._engine, layout, chart, environment, feature, config, scope, self.secrets
        )
        if isinstance(outcome, RenderFailure):
            status = (
                ReleaseStatus.MISSING_CONFIG
                if outcome.missing_config
                else ReleaseStatus.RENDER_ERROR
            )
            return replace(release(status, outcome.message, outcome.code), problem=outcome.location)
        message = (
            f"config for keys this environment kind ignores: {', '.join(outcome.ignored)}"
            if outcome.ignored
            else ""
        )
        planned = DesiredRelease(
            environment,
            feature,
            assignment,
            ReleaseStatus.PLANNED,
            message,
            chart,
            config,
            flat=outcome.flat,
            values=outcome.values,
            secret_keys=outcome.secret_keys,
        )
        if chart.schema is None:
            return planned
        violations = check_values(chart.schema, outcome.values)  # exactly what helm gets
        if not violations:
            return planned
        return replace(
            release(
                ReleaseStatus.VALUES_INVALID,
                violations_message(violations, outcome.secret_keys),
                ProblemCode.VALUES_INVALID,
            ),
            problem=traced(planned, violations),
        )


def _with_dependents(
    touched: set[tuple[str, str]], entries: Mapping[tuple[str, str], _Entry], charts: ChartSet
) -> set[tuple[str, str]]:
    """`touched` and every pair in the same environment that depends on one, transitively."""
    dependents: dict[str, set[str]] = defaultdict(set)
    for outcome in charts.outcomes.values():
        if outcome.chart is not None:
            for rule in outcome.chart.feature_yaml.dependencies:
                for name in rule.features:
                    dependents[name].add(outcome.chart.feature)
    affected: set[tuple[str, str]] = set()
    queue = list(touched)
    while queue:
        pair = queue.pop()
        if pair in affected:
            continue
        affected.add(pair)
        queue.extend(
            (pair[0], dependent)
            for dependent in dependents.get(pair[1], ())
            if (pair[0], dependent) in entries
        )
    return affected


def _reads_secrets(
    scope: EnvironmentScope, feature: Located[Feature], config: Located[Config] | None
) -> bool:
    """Whether a pair's inputs hold secret references (so new secrets mean a new render)."""
    if scope.probe is not None or scope.missing:
        return True
    configs = [feature.model.config, config.model.values if config is not None else {}]
    return any(is_secret_ref(value) for values in configs for value in values.values())


def _feature_rollouts(index: StateIndex) -> dict[str, WaveLayout]:
    """The layout each feature's changes follow; features that follow none are left out."""
    followed = {}
    for name, feature in index.features.items():
        layout = rollout_of(feature.model, index.rollouts)
        if layout is not None:
            followed[name] = layout
    return followed
