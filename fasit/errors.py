"""Errors fasit raises, drawn as a tree; each branch is what the caller does with it.

    FasitError                 every error fasit raises on purpose; its text is for a person
    ├── CouldNotRun            the command cannot do its job at all: the CLI prints it, exits 2
    │   ├── TreeUnavailable    the state root is missing or is not a directory
    │   ├── TokenFileInvalid   a token file (agents', API) is unreadable or wrong: every place
    │   │                      it is wrong
    │   ├── CredentialsError   (charts.credentials) the registry credentials file cannot be used
    │   └── StoreError         (reconcile._write_queue) the status store cannot be opened, read
    │                          or written (a SQLite file, a PostgreSQL database)
    ├── RetryableError         something outside fasit does not answer now: `serve` tries again
    │   │                      later (its own backoff); a one-shot command exits 2
    │   ├── SourceUnavailable  a git remote cannot be read: its `cause` names why (dns, auth, …)
    │   ├── DeadlinePassed     (sources.deadline) a remote operation ran out of time, or its
    │   │                      source closed; the source reports it as SourceUnavailable(timeout)
    │   ├── RegistryError      (charts.registry) a registry request failed: `failure` says how;
    │   │                      becomes `chart-unavailable` until the chart is resolved again
    │   ├── ChartNotPublished  (reconcile.instructions) an in-repo chart agents cannot fetch
    │   │                      yet: the deploy fails to send and is retried like a failed deploy
    │   ├── StatusUnavailable  the status store cannot answer a read (locked, corrupt, gone):
    │   │                      the web answers 503, the next read tries the file afresh
    │   ├── ServerUnreachable  (cli._wait) `fasit wait`'s server did not answer: exit 2 at once,
    │   │                      or, once it has answered, tried again until the timeout
    │   └── BadAnswer          (notify.post) a notification receiver's answer is not HTTP/1.x
    │                          (also an OSError): the event is retried like a failed POST
    └── InvalidInput           what fasit was given is wrong: it becomes a Problem (or an HTTP
        │                      4xx, or a refused message) and nothing retries until it changes
        ├── FileTooLarge       (state.tree) a file over the caller's size limit
        ├── DocumentError      (state._yaml_construct) a YAML document past a limit or with a
        │                      tag it may not use: the document becomes a problem at its node
        ├── HelmIgnoreError    (charts.helmignore) a .helmignore rule Helm rejects
        ├── DigestError        (charts.digest) text given as a digest that is not sha256:<hex>
        ├── ArchiveError       (charts.archive) not a readable, bounded .tgz
        ├── NotAChart          (charts.manifest) the artifact behind a tag is not a Helm chart
        ├── KeyConflict        (plan.keys) two values keys that cannot nest together
        ├── SecretMissing      (plan.secrets) a secret that cannot be read (never its value)
        ├── TemplateError      (plan.templates) a template that does not compile or render
        ├── TemplateFunctionError  (plan.template_functions) a function given what it cannot use
        ├── SemverError        (plan.semver) a version or version constraint that cannot be read
        ├── TemplateValueError (plan.server_values) a --template-value that cannot be used
        ├── RenderLimitExceeded    (plan.sandbox) a render past one of its limits
        ├── NotDeterministic   (plan.determinism) a template using something that differs per run
        ├── GoTemplateError    (migrate.go_ast) a Go template text/template would refuse, at
        │                      its line:column (`fasit migrate` lists it for a person)
        ├── GoExecError        (migrate.go_values) what text/template's Execute would fail with
        │                      for a template and data (verify compares it with fasit's failure)
        ├── NotEvaluable       (migrate.go_values) Go's meaning of a template is not modelled
        │                      here: the translation is kept and noted as not verified
        ├── UnreadableFeatureYaml  (migrate.feature_file) a Feature.yaml that is no YAML mapping
        ├── BadMessage         (agents.wire) an agent message the hub refuses
        ├── BadQuery           (web.query) a query parameter the read side answers 400
        ├── NotFound           (web.query) a page about nothing that exists: answered 404
        └── AmbiguousRevision  (web.progress) a revision prefix several recent ones start with:
                               answered 409

Problems *in* the state are not exceptions: they are `Problem`s, all of them collected and
reported together; the InvalidInput errors above are how a stage tells its caller to make one.
Caller mistakes (a bug of ours) raise built-ins (ValueError, TypeError, RuntimeError); a few
classes above keep ValueError or LookupError as a second base because callers and tests catch
them so. A library's exception is caught where the library is called and raised again as one of
these, `from` the original, with a message that names what failed and where.

naisd ships alone and imports nothing of fasit: its errors hang under `naisd.errors.NaisdError`.
"""

from __future__ import annotations

__all__ = [
    "CouldNotRun",
    "FasitError",
    "InvalidInput",
    "RetryableError",
    "SourceUnavailable",
    "StatusUnavailable",
    "TokenFileInvalid",
    "TreeUnavailable",
]


class FasitError(Exception):
    """Base of every error fasit raises on purpose."""


class CouldNotRun(FasitError):
    """The command cannot do its job at all; the CLI exits 2."""


class RetryableError(FasitError):
    """Something outside fasit does not answer now; a long-running caller tries again later."""


class InvalidInput(FasitError):
    """Input fasit was given is wrong; the caller reports it and waits for it to change."""


class TreeUnavailable(CouldNotRun):
    """The state root does not exist or is not a directory."""


class SourceUnavailable(RetryableError):
    """A source cannot read its revision; `cause` is a stable word for logs and metrics."""

    def __init__(self, cause: str, message: str) -> None:
        super().__init__(message)
        self.cause = cause


class StatusUnavailable(RetryableError):
    """The status store cannot answer a read now; its message names the store and the cause."""


class TokenFileInvalid(CouldNotRun):
    """A token file (agent or API tokens) cannot be used; `problems` are its
    `file:line:col: what` lines."""

    def __init__(self, path: str, problems: list[str], what: str = "agent token file") -> None:
        super().__init__(f"{what} {path} is not valid:\n  " + "\n  ".join(problems))
        self.path = path
        self.problems = problems
