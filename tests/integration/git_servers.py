"""Real git servers on 127.0.0.1 for integration tests: git daemon, smart HTTP and sshd.

Every server is a plain class with `start()` and `stop()` (and is a context manager); the
fixtures in conftest.py own their lifetime. A stopped server can be started again on the same
port, so a test can take a remote down mid-run and bring it back. Readiness is awaited by
polling the port against a deadline, never by sleeping; a server that does not come up fails
with its stderr in the message.

`GitWork` is the other half: a bare repository plus a work clone that commits and pushes to
it with the git CLI, in an environment that ignores the machine's git configuration.
"""

from __future__ import annotations

import base64
import hmac
import os
import pwd
import shutil
import socketserver
import subprocess
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Final
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from wsgiref.types import StartResponse, WSGIEnvironment

from tests.integration.processes import (
    LOOPBACK,
    POLL_INTERVAL,
    STOP_TIMEOUT,
    ProcessServer,
    Server,
    ServerFailed,
    ServerProcess,
)

# The bare repository the `git_work` fixture makes below the served root.
REPOSITORY: Final = "repo.git"

HTTP_USERNAME: Final = "fasit"
HTTP_PASSWORD: Final = "s3cret"
HTTP_TOKEN: Final = "t0ken"
HTTP_REALM: Final = "git"

AUTHOR_NAME: Final = "Fasit Test"
AUTHOR_EMAIL: Final = "fasit-test@example.invalid"
# Commits get consecutive minutes from here, so SHAs are reproducible yet always distinct.
FIRST_COMMIT_DATE: Final = datetime(2024, 1, 1, tzinfo=UTC)

_SSHD_CANDIDATES: Final = ("/usr/sbin/sshd", "/usr/local/sbin/sshd")
_SSHD_PRIVSEP_DIR: Final = Path("/run/sshd")


# --- repositories ----------------------------------------------------------------------------


def git_environment(home: Path) -> dict[str, str]:
    """An environment in which git ignores the machine's config, speaks English, never prompts.

    `home` gets a .gitconfig of its own; inherited GIT_* variables are dropped.
    """
    home.mkdir(parents=True, exist_ok=True)
    (home / ".gitconfig").write_text(
        "[init]\n\tdefaultBranch = main\n"
        f"[user]\n\tname = {AUTHOR_NAME}\n\temail = {AUTHOR_EMAIL}\n"
        "[advice]\n\tdetachedHead = false\n",
        encoding="utf-8",
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    env.pop("SSH_AUTH_SOCK", None)
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_TERMINAL_PROMPT="0",
        GIT_ASKPASS="true",  # an askpass that answers nothing: no prompt ever blocks a test
        SSH_ASKPASS="true",
        LC_ALL="C",
    )
    return env


def run_git(args: Iterable[str], *, env: Mapping[str, str], cwd: Path | None = None) -> str:
    """Run git and return its stdout stripped; a failure raises with git's stderr in it."""
    argv = ["git", *args]
    completed = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=60
    )
    if completed.returncode != 0:
        raise subprocess.CalledProcessError(
            completed.returncode, argv, completed.stdout, completed.stderr
        )
    return completed.stdout.strip()


class GitWork:
    """A bare repository and a work clone of it, driven with the git CLI.

    Commits get the author of `name`/`email` and the date `date`, which then advances a minute,
    so a test's SHAs are the same on every run. Pushes go to the bare repository by path.
    """

    def __init__(self, bare: Path, work: Path, env: Mapping[str, str]) -> None:
        self.bare = bare
        self.work = work
        self.env = dict(env)
        self.name = AUTHOR_NAME
        self.email = AUTHOR_EMAIL
        self.date = FIRST_COMMIT_DATE

    @classmethod
    def create(cls, bare: Path, work: Path, env: Mapping[str, str]) -> GitWork:
        """Make an empty bare repository at `bare` and clone it to `work`."""
        bare.parent.mkdir(parents=True, exist_ok=True)
        run_git(["init", "--quiet", "--bare", "--initial-branch=main", str(bare)], env=env)
        run_git(["clone", "--quiet", str(bare), str(work)], env=env)
        return cls(bare, work, env)

    def git(self, *args: str) -> str:
        """Run git in the work clone and return its stdout."""
        return run_git(args, env=self.env, cwd=self.work)

    def write(self, path: str, text: str) -> Path:
        """Write `text` to `path` (relative to the work clone), creating directories."""
        target = self.work / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        return target

    def remove(self, path: str) -> None:
        """Delete the file or directory `path` from the work clone."""
        target = self.work / path
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink()

    def commit(self, message: str, *, allow_empty: bool = False) -> str:
        """Commit every change in the work clone (`git add -A`) and return the commit SHA."""
        self.git("add", "-A")
        args = ["commit", "--quiet", "--no-verify", "-m", message]
        if allow_empty:
            args.append("--allow-empty")
        run_git(args, env=self._signature_env(), cwd=self.work)
        self.date += timedelta(minutes=1)
        return self.head()

    def push(self, ref: str = "main", *, force: bool = False) -> None:
        """Push HEAD to branch `ref` (or to a full `refs/...` name) of the bare repository."""
        target = ref if ref.startswith("refs/") else f"refs/heads/{ref}"
        self.git("push", "--quiet", "origin", f"{'+' if force else ''}HEAD:{target}")

    def tag(self, name: str, *, annotated: bool = False, force: bool = False) -> str:
        """Tag HEAD and return what the tag ref points at (the tag object when annotated)."""
        args = ["tag", name]
        if annotated:
            args += ["-a", "-m", f"tag {name}"]
        if force:
            args.append("--force")
        run_git(args, env=self._signature_env(), cwd=self.work)
        return self.git("rev-parse", f"refs/tags/{name}")

    def push_tags(self, *, force: bool = False) -> None:
        """Push every local tag; `force` moves tags the bare repository already has."""
        self.git("push", "--quiet", *(["--force"] if force else []), "origin", "--tags")

    def delete_remote_ref(self, ref: str) -> None:
        """Delete branch `ref` (or a full `refs/...` name) from the bare repository."""
        target = ref if ref.startswith("refs/") else f"refs/heads/{ref}"
        self.git("push", "--quiet", "origin", f":{target}")

    def reset_hard(self, sha: str) -> None:
        """Move the work clone's branch to `sha`; follow with push(force=True) to rewind."""
        self.git("reset", "--quiet", "--hard", sha)

    def head(self) -> str:
        """The SHA of the work clone's HEAD."""
        return self.git("rev-parse", "HEAD")

    def remote_sha(self, ref: str = "main") -> str:
        """What `ref` points at in the bare repository."""
        return run_git(["--git-dir", str(self.bare), "rev-parse", ref], env=self.env)

    def _signature_env(self) -> dict[str, str]:
        when = f"@{int(self.date.timestamp())} +0000"
        return {
            **self.env,
            "GIT_AUTHOR_NAME": self.name,
            "GIT_AUTHOR_EMAIL": self.email,
            "GIT_AUTHOR_DATE": when,
            "GIT_COMMITTER_NAME": self.name,
            "GIT_COMMITTER_EMAIL": self.email,
            "GIT_COMMITTER_DATE": when,
        }


# --- git daemon ----------------------------------------------------------------------------


class GitDaemon(ProcessServer):
    """`git daemon` exporting every repository below `root` at git://127.0.0.1:PORT/.

    The port is reserved at construction, so stop() then start() brings it back on the same one.
    """

    def __init__(self, root: Path, env: Mapping[str, str], log: Path) -> None:
        self.root = root
        self.port = self._reserve_port()
        argv = [
            "git",
            "daemon",
            "--reuseaddr",
            "--export-all",
            f"--base-path={root}",
            f"--listen={LOOPBACK}",
            f"--port={self.port}",
            "--enable=receive-pack",
            str(root),
        ]
        self._process = ServerProcess("git daemon", argv, env, log)

    def url(self, name: str) -> str:
        """The URL of the repository at `root/name`, e.g. url("repo.git")."""
        return f"git://{LOOPBACK}:{self.port}/{name}"


# --- smart HTTP ------------------------------------------------------------------------------


@dataclass(frozen=True)
class HttpRequest:
    """One request the HTTP server answered: what was asked, who asked, how it ended."""

    method: str
    path: str
    query: str
    user: str | None
    auth_scheme: str | None
    status: int
    chunked: bool
    content_encoding: str | None


@dataclass(frozen=True)
class _CgiResponse:
    status: str
    headers: list[tuple[str, str]]
    body: bytes


# Headers a WSGI application must not set (wsgiref asserts on them); the server owns them.
_HOP_BY_HOP: Final = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)


class _GitHttpBackend:
    """WSGI application: HTTP Basic or Bearer auth in front of the `git http-backend` CGI."""

    def __init__(
        self, root: Path, env: Mapping[str, str], username: str, password: str, token: str
    ) -> None:
        self.root = root
        self.env = dict(env)
        self.username = username
        self.password = password
        self.token = token
        self.requests: list[HttpRequest] = []

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        # Read the body first even when refusing: unread bytes would turn into a reset.
        body = _read_body(environ)
        authorization = environ.get("HTTP_AUTHORIZATION", "")
        user = self._authenticated_user(authorization)
        if user is None:
            response = _CgiResponse(
                "401 Unauthorized",
                [
                    ("WWW-Authenticate", f'Basic realm="{HTTP_REALM}"'),
                    ("Content-Type", "text/plain"),
                ],
                b"authentication required\n",
            )
        else:
            response = self._run_backend(environ, body, user)
        self._record(environ, authorization, user, response.status)
        headers = [*response.headers, ("Content-Length", str(len(response.body)))]
        start_response(response.status, headers)
        return [response.body]

    def _authenticated_user(self, authorization: str) -> str | None:
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(credentials.strip(), validate=True).decode()
            except ValueError:  # also UnicodeDecodeError and binascii.Error
                return None
            username, _, password = decoded.partition(":")
            if _same(username, self.username) and _same(password, self.password):
                return username
        if scheme.lower() == "bearer" and _same(credentials.strip(), self.token):
            return self.username
        return None

    def _run_backend(self, environ: WSGIEnvironment, body: bytes, user: str) -> _CgiResponse:
        cgi_env = {
            **self.env,
            "GIT_PROJECT_ROOT": str(self.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "GATEWAY_INTERFACE": "CGI/1.1",
            "SERVER_PROTOCOL": environ.get("SERVER_PROTOCOL", "HTTP/1.0"),
            "REQUEST_METHOD": environ["REQUEST_METHOD"],
            "PATH_INFO": environ.get("PATH_INFO", ""),
            "QUERY_STRING": environ.get("QUERY_STRING", ""),
            "CONTENT_TYPE": environ.get("CONTENT_TYPE", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_USER": user,
            "REMOTE_ADDR": environ.get("REMOTE_ADDR", LOOPBACK),
        }
        # http-backend inflates gzip request bodies itself and reads the protocol version.
        for name in ("HTTP_CONTENT_ENCODING", "HTTP_GIT_PROTOCOL"):
            if name in environ:
                cgi_env[name] = environ[name]
        completed = subprocess.run(
            ["git", "http-backend"],
            input=body,
            env=cgi_env,
            capture_output=True,
            check=False,
            timeout=60,
        )
        if completed.returncode != 0 and not completed.stdout:
            message = b"git http-backend failed:\n" + completed.stderr
            return _CgiResponse(
                "500 Internal Server Error", [("Content-Type", "text/plain")], message
            )
        return _parse_cgi_output(completed.stdout)

    def _record(
        self, environ: WSGIEnvironment, authorization: str, user: str | None, status: str
    ) -> None:
        scheme = authorization.partition(" ")[0].lower() or None
        self.requests.append(
            HttpRequest(
                method=environ["REQUEST_METHOD"],
                path=environ.get("PATH_INFO", ""),
                query=environ.get("QUERY_STRING", ""),
                user=user,
                auth_scheme=scheme,
                status=int(status.split(" ", 1)[0]),
                chunked=_is_chunked(environ),
                content_encoding=environ.get("HTTP_CONTENT_ENCODING"),
            )
        )


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _read_body(environ: WSGIEnvironment) -> bytes:
    stream: IO[bytes] = environ["wsgi.input"]
    if _is_chunked(environ):
        return _read_chunked(stream)
    length = int(environ.get("CONTENT_LENGTH") or 0)
    return stream.read(length) if length > 0 else b""


def _is_chunked(environ: WSGIEnvironment) -> bool:
    return str(environ.get("HTTP_TRANSFER_ENCODING", "")).lower() == "chunked"


def _read_chunked(stream: IO[bytes]) -> bytes:
    """Decode a chunked request body; wsgiref hands the raw socket stream to the app."""
    body = bytearray()
    while size := int(stream.readline().split(b";", 1)[0].strip() or b"0", 16):
        body += stream.read(size)
        stream.readline()  # the CRLF closing each chunk
    while stream.readline().strip():  # trailer fields, up to the blank line
        pass
    return bytes(body)


def _parse_cgi_output(output: bytes) -> _CgiResponse:
    """Split CGI output into status, headers and body; `Status:` becomes the status line."""
    ends = [(output.find(sep), sep) for sep in (b"\r\n\r\n", b"\n\n") if sep in output]
    if not ends:
        return _CgiResponse("502 Bad Gateway", [("Content-Type", "text/plain")], output)
    end, separator = min(ends)
    status = "200 OK"
    headers: list[tuple[str, str]] = []
    for line in output[:end].decode("latin-1").splitlines():
        name, _, value = line.partition(":")
        if name.lower() == "status":
            status = value.strip()
        elif name.lower() not in _HOP_BY_HOP and name.lower() != "content-length":
            headers.append((name.strip(), value.strip()))
    return _CgiResponse(status, headers, output[end + len(separator) :])


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    """Keeps the per-request access log out of the test output (requests are recorded)."""

    def log_message(self, format: str, *args: object) -> None:
        pass


class GitHttpServer(Server):
    """Smart HTTP at http://127.0.0.1:PORT/: the real `git http-backend` behind a WSGI app.

    Accepts Basic `username:password` or `Authorization: Bearer token`; anything else gets a
    401 with `WWW-Authenticate: Basic realm="git"`. Pushes work (REMOTE_USER is set).
    """

    def __init__(
        self,
        root: Path,
        env: Mapping[str, str],
        *,
        username: str = HTTP_USERNAME,
        password: str = HTTP_PASSWORD,
        token: str = HTTP_TOKEN,
    ) -> None:
        self.root = root
        self.username = username
        self.password = password
        self.token = token
        self.port = 0  # 0 until the first start binds one; restarts reuse it
        self._app = _GitHttpBackend(root, env, username, password, token)
        self._server: _ThreadingWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def requests(self) -> list[HttpRequest]:
        """Every request answered so far, in order."""
        return self._app.requests

    @property
    def running(self) -> bool:
        return self._server is not None

    def url(self, name: str, *, credentials: bool = False) -> str:
        """The URL of `root/name`; with `credentials`, user and password are in it."""
        userinfo = f"{self.username}:{self.password}@" if credentials else ""
        return f"http://{userinfo}{LOOPBACK}:{self.port}/{name}"

    def start(self) -> None:
        if self._server is not None:
            raise RuntimeError("git http server is already running")
        server = make_server(
            LOOPBACK,
            self.port,
            self._app,
            server_class=_ThreadingWSGIServer,
            handler_class=_QuietHandler,
        )
        self.port = server.server_port
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": POLL_INTERVAL},
            name=f"git-http-{self.port}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        server, self._server = self._server, None
        thread, self._thread = self._thread, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=STOP_TIMEOUT)


# --- sshd ----------------------------------------------------------------------------------


def find_sshd() -> Path:
    """The OpenSSH server binary; sshd insists on being run by absolute path."""
    for candidate in _SSHD_CANDIDATES:
        if os.access(candidate, os.X_OK):
            return Path(candidate)
    found = shutil.which("sshd")
    if found is None:
        raise ServerFailed(
            "sshd not found (looked in "
            + ", ".join(_SSHD_CANDIDATES)
            + " and PATH); install the Debian package openssh-server (`make system-deps`)"
        )
    return Path(found).absolute()


def generate_key(path: Path) -> Path:
    """A fresh ed25519 key pair at `path` and `path.pub`, without passphrase."""
    path.parent.mkdir(parents=True, exist_ok=True)
    argv = ["ssh-keygen", "-q", "-N", "", "-t", "ed25519", "-C", path.name, "-f", str(path)]
    completed = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=30)
    if completed.returncode != 0:
        raise ServerFailed(f"ssh-keygen failed for {path}: {completed.stderr.strip()}")
    return path


def _public_key(key: Path) -> str:
    """`ssh-ed25519 AAAA...` of a key pair, without its comment."""
    algorithm, blob, *_ = key.with_name(key.name + ".pub").read_text(encoding="ascii").split()
    return f"{algorithm} {blob}"


class Sshd(ProcessServer):
    """A real OpenSSH server on 127.0.0.1 letting the current user in with one client key.

    Everything lives in `directory`: host key, client keys, authorized_keys, sshd_config, the
    log, and two known_hosts files, one with the real host key and one with another host's key.
    `unauthorized_key` is a client key the server does not accept.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.user = pwd.getpwuid(os.geteuid()).pw_name
        self.port = self._reserve_port()
        directory.mkdir(parents=True, exist_ok=True)
        self.host_key = generate_key(directory / "ssh_host_ed25519_key")
        self.client_key = generate_key(directory / "id_ed25519")
        self.unauthorized_key = generate_key(directory / "id_ed25519_unauthorized")
        self.known_hosts = self._write_known_hosts("known_hosts", self.host_key)
        other_host_key = generate_key(directory / "other_host_ed25519_key")
        self.wrong_known_hosts = self._write_known_hosts("known_hosts_wrong", other_host_key)
        authorized_keys = directory / "authorized_keys"
        authorized_keys.write_text(_public_key(self.client_key) + "\n", encoding="ascii")
        self.config = self._write_config(authorized_keys)
        self._process = ServerProcess(
            "sshd",
            [str(find_sshd()), "-D", "-e", "-f", str(self.config)],
            os.environ,
            directory / "sshd.log",
        )

    def url(self, bare: Path) -> str:
        """ssh://USER@127.0.0.1:PORT/<absolute path of the bare repository>."""
        return f"ssh://{self.user}@{LOOPBACK}:{self.port}{bare.absolute()}"

    def ssh_command(self, *, key: Path | None = None, known_hosts: Path | None = None) -> str:
        """An ssh command line that uses only `key` and trusts only `known_hosts`.

        Defaults: the authorized client key and the real host key. `-F none` keeps the
        machine's ssh_config out; BatchMode makes every failure immediate instead of a prompt.
        """
        return " ".join(
            [
                "ssh",
                "-F none",
                f"-i {key or self.client_key}",
                "-o IdentitiesOnly=yes",
                f"-o UserKnownHostsFile={known_hosts or self.known_hosts}",
                "-o GlobalKnownHostsFile=/dev/null",
                "-o StrictHostKeyChecking=yes",
                "-o BatchMode=yes",
                "-o ConnectTimeout=10",
            ]
        )

    def start(self) -> None:
        if os.geteuid() == 0:
            # Privilege separation needs this when sshd runs as root (absent in containers).
            os.makedirs(_SSHD_PRIVSEP_DIR, mode=0o755, exist_ok=True)
        super().start()

    def _write_known_hosts(self, name: str, host_key: Path) -> Path:
        path = self.directory / name
        path.write_text(f"[{LOOPBACK}]:{self.port} {_public_key(host_key)}\n", encoding="ascii")
        return path

    def _write_config(self, authorized_keys: Path) -> Path:
        settings = {
            "ListenAddress": LOOPBACK,
            "Port": str(self.port),
            "HostKey": str(self.host_key),
            "PidFile": str(self.directory / "sshd.pid"),
            "AuthorizedKeysFile": str(authorized_keys),
            "AllowUsers": self.user,
            "PermitRootLogin": "prohibit-password",  # the tests may well run as root
            "PubkeyAuthentication": "yes",
            "PasswordAuthentication": "no",
            "KbdInteractiveAuthentication": "no",
            "UsePAM": "no",
            "StrictModes": "no",  # tmp directories are not owned the way sshd wants
            "AcceptEnv": "GIT_PROTOCOL",  # lets clients negotiate protocol v2
            "PrintMotd": "no",
            "X11Forwarding": "no",
            "AllowTcpForwarding": "no",
            "LogLevel": "VERBOSE",
        }
        config = self.directory / "sshd_config"
        config.write_text(
            "".join(f"{key} {value}\n" for key, value in settings.items()), encoding="ascii"
        )
        return config
