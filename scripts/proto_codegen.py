"""Generate the agent protocol's Python stubs from proto/ (`make proto`).

Runs the pinned grpcio-tools (protoc, the gRPC plugin) and mypy-protobuf (typed .pyi for the
messages and the service) of the interpreter running this script, and writes:

    fasit_proto/agent/v1/agent_pb2.py, agent_pb2.pyi, agent_pb2_grpc.py, agent_pb2_grpc.pyi

The .proto lives at proto/fasit/agent/v1/agent.proto (its protobuf package is fasit.agent.v1),
but the Python modules must not land in the `fasit` package: naisd imports them and must not
import fasit. protoc's virtual path (`-Ifasit_proto/agent/v1=proto/fasit/agent/v1`) places them
in `fasit_proto` and makes the generated imports say so. tests/unit/agents/test_proto_stubs.py
runs this into a temporary directory and fails when the committed files differ.

Usage: python scripts/proto_codegen.py [OUTPUT_ROOT]   (default: the repository root)
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROTO_DIR = ROOT / "proto" / "fasit" / "agent" / "v1"
PACKAGE = "fasit_proto/agent/v1"
GENERATED = ("agent_pb2.py", "agent_pb2.pyi", "agent_pb2_grpc.py", "agent_pb2_grpc.pyi")


def generate(output_root: Path) -> list[Path]:
    """Write the generated files below `output_root`; return their paths."""
    from grpc_tools import protoc  # a dev dependency: only this script needs it

    bin_dir = Path(sys.executable).parent
    output_root.mkdir(parents=True, exist_ok=True)
    args = [
        "protoc",
        f"-I{PACKAGE}={PROTO_DIR}",
        f"--plugin=protoc-gen-mypy={bin_dir / 'protoc-gen-mypy'}",
        f"--plugin=protoc-gen-mypy_grpc={bin_dir / 'protoc-gen-mypy_grpc'}",
        f"--python_out={output_root}",
        f"--grpc_python_out={output_root}",
        f"--mypy_out={output_root}",
        f"--mypy_grpc_out={output_root}",
        f"{PACKAGE}/agent.proto",
    ]
    if protoc.main(args) != 0:
        raise SystemExit(f"protoc failed on {PROTO_DIR / 'agent.proto'}")
    return [output_root / PACKAGE / name for name in GENERATED]


def main() -> int:
    output_root = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT
    for path in generate(output_root):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
