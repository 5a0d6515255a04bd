"""A repository URL as it may be shown to a person: its password or token replaced by `***`.

Credentials belong in FASIT_GIT_* settings and files, but a URL with user-info still works;
every description, log line and message shows it through `redact_url`, and only the
connection uses the real URL.
"""

from __future__ import annotations

import re

__all__ = ["redact_url"]

# Greedy up to the authority's last "@", so a password with an unencoded "@" is hidden whole.
_USER_INFO = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<user_info>[^/?#]*)@")
_MASK = "***"


def redact_url(url: str) -> str:
    """`url` with the secret of its user-info masked; anything else is returned unchanged.

    `scheme://user:pw@host` → `scheme://user:***@host`; `http(s)://token@host` →
    `http(s)://***@host` (a lone HTTP user name is usually a token). An SSH user name alone
    (`ssh://git@host/…`, scp-like `git@host:org/repo`) is not a secret and is kept.
    """
    match = _USER_INFO.match(url)
    if match is None:
        return url  # no user-info, or scp-like ssh syntax whose user is never a secret
    user, has_password, _ = match["user_info"].partition(":")
    if has_password:
        shown = f"{user}:{_MASK}"
    elif "ssh" in match["scheme"].lower():
        shown = user
    else:
        shown = _MASK
    return f"{match['scheme']}://{shown}@{url[match.end() :]}"
