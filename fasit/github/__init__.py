"""GitHub: commit statuses on the state repository's revisions, following their rollouts.

Reads the web side's progress (`progress_of`) and posts to the GitHub API; `fasit serve`
wires it when given a token and a github-hosted `--git` remote. Writes nothing of fasit's.
"""

from fasit.github.reporter import CommitStatuses, describe
from fasit.github.repository import (
    DEFAULT_API_URL,
    GitHubRepository,
    api_host,
    github_repository,
)
from fasit.github.statuses import (
    CONTEXT,
    MAX_DESCRIPTION,
    CommitState,
    CommitStatus,
    StatusClient,
    retry_delay,
)

__all__ = [
    "CONTEXT",
    "DEFAULT_API_URL",
    "MAX_DESCRIPTION",
    "CommitState",
    "CommitStatus",
    "CommitStatuses",
    "GitHubRepository",
    "StatusClient",
    "api_host",
    "describe",
    "github_repository",
    "retry_delay",
]
