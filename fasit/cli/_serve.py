"""`fasit serve`: the controller, the agent hub and the read-only web app in one process.

With no arguments it serves example-state-repo/ with in-process fake agents and the demo
secrets of example-secrets/ (`make demo`). Every flag can also be set as FASIT_<FLAG> (a
repeatable flag's variable takes a comma-separated list); see docs/configuration.md.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from typing import TYPE_CHECKING

from fasit.cli._charts import add_chart_options, oci_charts
from fasit.cli._logs import configure_logging
from fasit.cli._serve_flags import add_serve_flags
from fasit.errors import CouldNotRun
from fasit.memory import ServeMemory

if TYPE_CHECKING:
    from fasit.serve import Controller

__all__ = ["add_serve"]

logger = logging.getLogger("fasit.serve")

STOP_WITHIN = 10.0


def add_serve(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser(
        "serve",
        help="run the controller: source, planner, reconciler, agent hub, web UI and API",
        description="Run the controller. With no source it serves example-state-repo/ with"
        " fake agents (a demo). Every flag is also FASIT_<FLAG> in the environment.",
    )
    add_serve_flags(serve)
    add_chart_options(serve)
    serve.set_defaults(command=_serve)


def _serve(args: argparse.Namespace) -> int:
    # The server loads when serve runs, not when the parser is built.
    from fasit.cli._serve_config import serve_config
    from fasit.reconcile import StoreError
    from fasit.serve import Controller

    configure_logging(args.log_format, args.verbose)
    config = serve_config(args)
    controller = Controller(config, oci_charts(args), ServeMemory())
    try:
        asyncio.run(_run(controller))
    except (OSError, StoreError) as exc:  # a port in use, an unusable file: once, exit 2
        raise CouldNotRun(str(exc)) from None
    return 0


async def _run(controller: Controller) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    running = asyncio.create_task(controller.run(stop))
    await asyncio.wait([running, asyncio.create_task(stop.wait())], return_when="FIRST_COMPLETED")
    if not running.done():
        try:
            await asyncio.wait_for(running, STOP_WITHIN)
        except TimeoutError:
            logger.error("did not stop within %.0f s; exiting anyway", STOP_WITHIN)
            return
    running.result()
