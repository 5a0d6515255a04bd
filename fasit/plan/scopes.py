"""What computed templates see of an environment: its scope, built once per tenant.

`env` is the environment's values plus `name` and `kind`; `envs` the tenant's environments
other than management; `management` the management environment's values (or none); `kind`
and `tenant`. Secret references are resolved by the provider; where any secret is in reach a
second set of variables holds a sentinel per secret, for the taint probe, and `secret_reads`
says where secrets sit so only the templates that may read one are probed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fasit.model import Environment, EnvironmentKind, is_secret_ref
from fasit.plan.secrets import Probe, Resolved, SecretProvider, resolve_refs
from fasit.plan.templates import Read

__all__ = ["PROBE", "EnvironmentScope", "may_read", "tenant_scopes"]

PROBE = Probe()


@dataclass(frozen=True, slots=True)
class EnvironmentScope:
    """What templates see of one environment, with secrets resolved and as probes."""

    variables: dict[str, object]
    """kind, tenant, env, envs, management; secrets resolved."""
    probe: dict[str, object] | None
    """The same with a sentinel for every secret; None when no secret is in reach."""
    secret_texts: frozenset[str]
    missing: dict[str, dict[str, str]]
    secret_reads: frozenset[Read] = frozenset()
    """Where secrets sit: (variable, key), or (variable, None) for the whole of it."""
    """Context variable → secret name → why it could not be resolved."""


def tenant_scopes(
    members: Sequence[Environment], provider: SecretProvider
) -> dict[str, EnvironmentScope]:
    """The template scope of each environment of one tenant (`members`: all of them)."""
    management = next(
        (member for member in members if member.environment_kind is EnvironmentKind.MANAGEMENT),
        None,
    )
    others = [member for member in members if member is not management]
    shared = Resolved()
    envs = [_environment_values(other, provider, shared) for other in others]
    managed = None if management is None else _environment_values(management, provider, shared)
    probe_envs: list[dict[str, object]] | None = None
    probe_managed: dict[str, object] | None = None
    if shared.names:
        ignored = Resolved()
        probe_envs = [_environment_values(other, PROBE, ignored) for other in others]
        if management is not None:
            probe_managed = _environment_values(management, PROBE, ignored)
    scopes = {}
    for member in members:
        own = Resolved()
        env = _environment_values(member, provider, own)
        variables: dict[str, object] = {
            "kind": member.environment_kind.value,
            "tenant": {"name": member.tenant},
            "env": env,
            "envs": envs,
            "management": managed,
        }
        probe = None
        if shared.names:
            probe = {
                **variables,
                "env": _environment_values(member, PROBE, Resolved()),
                "envs": probe_envs,
                "management": probe_managed,
            }
        missing = {
            variable: found.missing
            for variable, found in (("env", own), ("envs", shared), ("management", shared))
            if found.missing
        }
        secret_reads: set[Read] = {
            ("env", key) for key, value in member.values.items() if _holds_ref(value)
        }
        if any(_holds_ref(other.values) for other in others if other is not member):
            secret_reads.add(("envs", None))
        if management is not None:
            secret_reads |= {
                ("management", key) for key, value in management.values.items() if _holds_ref(value)
            }
        scopes[member.id] = EnvironmentScope(
            variables,
            probe,
            frozenset(shared.texts | own.texts),
            missing,
            frozenset(secret_reads),
        )
    return scopes


def _holds_ref(value: object) -> bool:
    if is_secret_ref(value):
        return True
    if isinstance(value, dict):
        return any(_holds_ref(item) for item in value.values())
    if isinstance(value, list):
        return any(_holds_ref(item) for item in value)
    return False


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
