"""Reconcile: desired releases against what agents report, decisions, limits, the status ladder.

`Reconciler` runs the loop over an `AgentChannel` (the agent hub) and a `StatusStore`
(`SqliteStatusStore`, or `PostgresStatusStore` for replicas sharing a fleet);
`decide_environment` and `shown_status` are the pure core every surface shares. Imports plans
and the agents' plain data; nothing here is imported by earlier stages.
"""

from fasit.reconcile.decisions import (
    AgentView,
    Circuit,
    Decision,
    EnvironmentView,
    Reason,
    RolloutKey,
    decide_environment,
)
from fasit.reconcile.deploys import Deploy, DeployChange, DeployState, HashHistory, attempt_key
from fasit.reconcile.fleet import FleetDecider, PassResult, ReconcileConfig
from fasit.reconcile.instructions import (
    UNINSTALL_TIMEOUT,
    ChartLocator,
    ChartNotPublished,
    ChartReference,
    build_instruction,
    decision_instruction_id,
)
from fasit.reconcile.ladder import Status, shown_status
from fasit.reconcile.leases import LeaseKeeper, PostgresLeases, ReplicaAddress
from fasit.reconcile.limits import Limits, apply_limits, open_circuits
from fasit.reconcile.ownership import LEADER, Ownership, Replica
from fasit.reconcile.postgres_store import PostgresStatusStore, is_postgres_url
from fasit.reconcile.prune_budget import allowed_uninstalls, apply_prune_budget
from fasit.reconcile.reconciler import AgentChannel, PassReport, Reconciler
from fasit.reconcile.runtime import Runtime
from fasit.reconcile.shares import SharedHistory
from fasit.reconcile.sqlite_store import SqliteStatusStore, StoreError
from fasit.reconcile.store import (
    DecisionRecord,
    InventoryRecord,
    LogRecord,
    Recovered,
    Retention,
    StatusStore,
)
from fasit.reconcile.views import ReleaseView
from fasit.reconcile.waves import (
    ChangeProgress,
    Hold,
    Progress,
    Standing,
    WaveProgress,
    change_label,
    gate_change,
    hold_sends,
    pause_hold,
    standing_of,
)

__all__ = [
    "LEADER",
    "UNINSTALL_TIMEOUT",
    "AgentChannel",
    "AgentView",
    "ChangeProgress",
    "ChartLocator",
    "ChartNotPublished",
    "ChartReference",
    "Circuit",
    "Decision",
    "DecisionRecord",
    "Deploy",
    "DeployChange",
    "DeployState",
    "EnvironmentView",
    "FleetDecider",
    "HashHistory",
    "Hold",
    "InventoryRecord",
    "LeaseKeeper",
    "Limits",
    "LogRecord",
    "Ownership",
    "PassReport",
    "PassResult",
    "PostgresLeases",
    "PostgresStatusStore",
    "Progress",
    "Reason",
    "ReconcileConfig",
    "Reconciler",
    "Recovered",
    "ReleaseView",
    "Replica",
    "ReplicaAddress",
    "Retention",
    "RolloutKey",
    "Runtime",
    "SharedHistory",
    "SqliteStatusStore",
    "Standing",
    "Status",
    "StatusStore",
    "StoreError",
    "WaveProgress",
    "allowed_uninstalls",
    "apply_limits",
    "apply_prune_budget",
    "attempt_key",
    "build_instruction",
    "change_label",
    "decide_environment",
    "decision_instruction_id",
    "gate_change",
    "hold_sends",
    "is_postgres_url",
    "open_circuits",
    "pause_hold",
    "shown_status",
    "standing_of",
]
