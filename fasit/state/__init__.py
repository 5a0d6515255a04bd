"""State: trees, discovery, YAML with positions, documents, problems, targeting, snapshots.

Knows nothing of charts, plans or deploys.
"""

from fasit.state.crosscheck import RESERVED_VALUE_KEYS, StateIndex, cross_check
from fasit.state.discovery import Discovery, FileSelector, compile_glob, discover
from fasit.state.documents import Located, read_state_document, validate_model
from fasit.state.loader import (
    LoadedState,
    LoadLimits,
    LoadResult,
    ParseCache,
    load_state,
    parse_yaml_bytes,
    read_yaml_file,
)
from fasit.state.problems import Position, Problem, ProblemCode, Severity, some
from fasit.state.rollouts import (
    DEFAULT_ROLLOUT,
    REST_WAVE,
    WaveLayout,
    check_rollouts,
    pause_note,
    rollout_of,
)
from fasit.state.sameness import changed_documents, same_documents
from fasit.state.snapshot import (
    Revision,
    Snapshot,
    SnapshotBuilder,
    build_snapshot,
)
from fasit.state.store import FailedRevision, Freshness, Outcome, RevisionRecord, SnapshotStore
from fasit.state.targeting import LabelIndex, Targeting, rank, target
from fasit.state.tree import DirectoryTree, EntryKind, FileTooLarge, MemoryTree, Tree, TreeEntry
from fasit.state.yamlfile import YamlDocument, YamlLimits, YamlResult, read_yaml

__all__ = [
    "DEFAULT_ROLLOUT",
    "RESERVED_VALUE_KEYS",
    "REST_WAVE",
    "DirectoryTree",
    "Discovery",
    "EntryKind",
    "FailedRevision",
    "FileSelector",
    "FileTooLarge",
    "Freshness",
    "LabelIndex",
    "LoadLimits",
    "LoadResult",
    "LoadedState",
    "Located",
    "MemoryTree",
    "Outcome",
    "ParseCache",
    "Position",
    "Problem",
    "ProblemCode",
    "Revision",
    "RevisionRecord",
    "Severity",
    "Snapshot",
    "SnapshotBuilder",
    "SnapshotStore",
    "StateIndex",
    "Targeting",
    "Tree",
    "TreeEntry",
    "WaveLayout",
    "YamlDocument",
    "YamlLimits",
    "YamlResult",
    "build_snapshot",
    "changed_documents",
    "check_rollouts",
    "compile_glob",
    "cross_check",
    "discover",
    "load_state",
    "parse_yaml_bytes",
    "pause_note",
    "rank",
    "read_state_document",
    "read_yaml",
    "read_yaml_file",
    "rollout_of",
    "same_documents",
    "some",
    "target",
    "validate_model",
]
