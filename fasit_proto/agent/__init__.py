"""The agent protocol (proto/fasit/agent/), one package per version."""
