"""The committed stubs in fasit_proto/ are what `make proto` generates from proto/ today."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[3]
GENERATED = ("agent_pb2.py", "agent_pb2.pyi", "agent_pb2_grpc.py", "agent_pb2_grpc.pyi")


def test_committed_stubs_match_a_fresh_generation(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "proto_codegen.py"), str(tmp_path)],
        check=True,
        capture_output=True,
    )
    stale = [
        name
        for name in GENERATED
        if (tmp_path / "fasit_proto/agent/v1" / name).read_bytes()
        != (ROOT / "fasit_proto/agent/v1" / name).read_bytes()
    ]
    assert not stale, f"stale generated stubs {stale}: run `make proto` and commit them"


def test_service_is_one_bidirectional_stream() -> None:
    from fasit_proto.agent.v1 import SERVICE_NAME, agent_pb2

    method = agent_pb2.DESCRIPTOR.services_by_name["AgentService"].methods_by_name["Connect"]
    assert SERVICE_NAME == "fasit.agent.v1.AgentService"
    assert (method.client_streaming, method.server_streaming) == (True, True)
    assert method.input_type.name == "AgentMessage"
    assert method.output_type.name == "ControllerMessage"
