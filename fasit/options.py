"""What the command line offers that the stages take: flag defaults and output formats.

The one place each such value is written, in a module that imports nothing: `fasit`'s parser
(every command's flags, `--help`) is built from here without importing a stage, and each
stage reads its default from here too, so the help and the stage cannot disagree. A value
only the CLI knows stays in `fasit/cli/`; a value only a stage knows stays in the stage.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "DEFAULT_API_URL",
    "DEFAULT_GIT_TIMEOUT",
    "HEADER_TIMEOUT",
    "MAX_FILES",
    "REGISTRY_READ_TIMEOUT",
    "Format",
    "PlanFormat",
]

MAX_FILES = 50_000
"""Files a state tree may hold (`LoadLimits.max_files`, `--max-files`)."""

DEFAULT_GIT_TIMEOUT = 30.0
"""Seconds one git network operation may take in all (`GitRemote`, `--git-timeout`)."""

REGISTRY_READ_TIMEOUT = 30.0
"""Seconds a registry may take to answer (`RegistrySettings.read_timeout`,
`--registry-timeout`)."""

HEADER_TIMEOUT = 10.0
"""Seconds a web client has to send its request headers (`fasit serve
--http-header-timeout`)."""

DEFAULT_API_URL = "https://api.github.com"
"""The GitHub API commit statuses are set through (`fasit serve --github-api-url`)."""


class Format(StrEnum):
    """Output formats of `fasit validate`."""

    TEXT = "text"
    JSON = "json"
    GITHUB = "github"


class PlanFormat(StrEnum):
    """Output formats of `fasit plan`."""

    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"
