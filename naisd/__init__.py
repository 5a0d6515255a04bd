"""naisd: the agent that runs in each environment, talks to fasit over gRPC and runs helm.

`Agent` is the agent itself (usable in-process: many in one event loop); `cli.main` is the
`naisd` command around it. Executors: `HelmExecutor` (the helm CLI) and `FakeExecutor` (a
simulated cluster). Imports nothing of fasit: only the generated protocol in fasit_proto.
"""

__version__ = "0.1.0"

# Below __version__: naisd.agent reads it.
from naisd.agent import Agent
from naisd.chart_download import ChartDownloadFailed, DownloadSettings
from naisd.config import AgentConfig
from naisd.errors import NaisdError
from naisd.fake import FakeExecutor
from naisd.helm import HelmExecutor
from naisd.results import ResultStore, StateFileInvalid
from naisd.work import (
    Action,
    Applied,
    Executor,
    Inventory,
    LogKind,
    LogSink,
    Outcome,
    Release,
    Work,
    WorkResult,
)

__all__ = [
    "Action",
    "Agent",
    "AgentConfig",
    "Applied",
    "ChartDownloadFailed",
    "DownloadSettings",
    "Executor",
    "FakeExecutor",
    "HelmExecutor",
    "Inventory",
    "LogKind",
    "LogSink",
    "NaisdError",
    "Outcome",
    "Release",
    "ResultStore",
    "StateFileInvalid",
    "Work",
    "WorkResult",
    "__version__",
]
