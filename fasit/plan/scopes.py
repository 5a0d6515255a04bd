"""What computed templates see of an environment: its scope, built once per tenant.

`env` is the environment's values plus `name` and `kind`; `envs` the tenant's environments
other than management; `management` the management environment's values (or none); `kind`,
`tenant` and `labels` (the environment's labels, as assignments target them). Secret references
are resolved by the provider; where any secret is in reach a second set of variables holds a
sentinel per secret, for the taint probe, and `secret_reads` says where secrets sit so only the
templates that may read one are probed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fasit.model import SECRET_REF, Environment, EnvironmentKind, is_secret_ref
from fasit.plan.secrets import Probe, Resolved, SecretProvider, resolve_refs
from fasit.plan.templates import Read

__all__ = ["PROBE", "EnvironmentScope", "may_read", "tenant_scopes"]

PROBE = Probe()


@dataclass(frozen=True, slots=True)
class EnvironmentScope:
    """What templates see of one environment, with secrets resolved and as probes."""

    variables: dict[str, object]
    """kind, tenant, env, envs, management, labels; secrets resolved."""
    probe: dict[str, object] | None
    """The same with a sentinel for every secret; None when no secret is in reach."""
    secret_texts: frozenset[str]
    missing: dict[Read, dict[str, str]]
    """Where a secret that could not be resolved sits → its name → why."""
    secret_reads: frozenset[Read] = frozenset()
    """Where secrets sit: (variable, key), or (variable, None) for the whole of it."""


def tenant_scopes(
    members: Sequence[Environment], provider: SecretProvider
) -> dict[str, EnvironmentScope]:
    """The template scope of each environment of one tenant (`members`: all of them)."""
    management = next(
        (member for member in members if member.environment_kind is EnvironmentKind.MANAGEMENT),
        None,
    )
    others = [member for member in members if member is not management]
    found: dict[str, Resolved] = {member.id: Resolved() for member in members}
    resolved = {
        member.id: _environment_values(member, provider, found[member.id]) for member in members
    }
    envs = [resolved[other.id] for other in others]
    managed = None if management is None else resolved[management.id]
    shared_reads: set[Read] = set()
    shared_missing: dict[Read, dict[str, str]] = {}
    if any(found[other.id].names for other in others):
        shared_reads.add(("envs", None))
        missing = {n: r for other in others for n, r in found[other.id].missing.items()}
        if missing:
            shared_missing[("envs", None)] = missing
    if management is not None:
        shared_reads |= _secret_reads(
            "management", management, found[management.id], shared_missing
        )
    probes: dict[str, dict[str, object]] = {}
    if any(result.names for result in found.values()):
        ignored = Resolved()
        probes = {member.id: _environment_values(member, PROBE, ignored) for member in members}
    probe_envs = [probes[other.id] for other in others] if probes else []
    texts = frozenset(text for result in found.values() for text in result.texts)
    scopes = {}
    for member in members:
        variables: dict[str, object] = {
            "kind": member.environment_kind.value,
            "tenant": {"name": member.tenant},
            "env": resolved[member.id],
            "envs": envs,
            "management": managed,
            "labels": dict(member.labels),
        }
        probe = None
        if probes:
            probe = {
                **variables,
                "env": probes[member.id],
                "envs": probe_envs,
                "management": None if management is None else probes[management.id],
            }
        missing_here = dict(shared_missing)
        reads = shared_reads | _secret_reads("env", member, found[member.id], missing_here)
        scopes[member.id] = EnvironmentScope(
            variables, probe, texts, missing_here, frozenset(reads)
        )
    return scopes


def _secret_reads(
    variable: str,
    environment: Environment,
    resolved: Resolved,
    missing: dict[Read, dict[str, str]],
) -> set[Read]:
    """Where `environment`'s secrets sit under `variable`; unresolved ones added to `missing`."""
    reads: set[Read] = set()
    for key, value in environment.values.items():
        names = _ref_names(value)
        if not names:
            continue
        reads.add((variable, key))
        unresolved = {name: resolved.missing[name] for name in names if name in resolved.missing}
        if unresolved:
            missing[(variable, key)] = unresolved
    return reads


def _ref_names(value: object) -> set[str]:
    if is_secret_ref(value):
        assert isinstance(value, dict)
        return {value[SECRET_REF]}
    if isinstance(value, dict):
        return {name for item in value.values() for name in _ref_names(item)}
    if isinstance(value, list):
        return {name for item in value for name in _ref_names(item)}
    return set()


def may_read(reads: frozenset[Read], secrets: frozenset[Read]) -> bool:
    """Whether a template that reads `reads` may see one of the secrets at `secrets`."""
    for variable, key in reads:
        if (variable, None) in secrets or (variable, key) in secrets:
            return True
        if key is None and any(held == variable for held, _ in secrets):
            return True
    return False


def _environment_values(
    environment: Environment, provider: SecretProvider, resolved: Resolved
) -> dict[str, object]:
    values = resolve_refs(environment.values, provider, resolved)
    assert isinstance(values, dict)
    return {**values, "name": environment.name, "kind": environment.environment_kind.value}
