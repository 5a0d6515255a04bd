"""naisd: the agent that runs in each environment, talks to fasit over gRPC and runs helm."""

__version__ = "0.1.0"
