"""Sources: notice new revisions of the state (a git ref, a local directory) and publish them.

A source turns each new revision into a tree and a `Revision`, has the `SnapshotBuilder`
build it off the event loop, and offers the snapshot to the `SnapshotStore`.
"""

from fasit.sources.git import FetchPolicy, GitSource, GitSourceConfig, read_commit
from fasit.sources.git_causes import RemoteCause
from fasit.sources.git_local import local_revision
from fasit.sources.git_location import GitAuth, GitLocation
from fasit.sources.git_remote import DEFAULT_GIT_TIMEOUT, GitRemote, commit_revision
from fasit.sources.git_tree import GitTree, ListingCache
from fasit.sources.local import LocalSource

__all__ = [
    "DEFAULT_GIT_TIMEOUT",
    "FetchPolicy",
    "GitAuth",
    "GitLocation",
    "GitRemote",
    "GitSource",
    "GitSourceConfig",
    "GitTree",
    "ListingCache",
    "LocalSource",
    "RemoteCause",
    "commit_revision",
    "local_revision",
    "read_commit",
]
