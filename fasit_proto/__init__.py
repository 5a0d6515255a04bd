"""Generated gRPC stubs of fasit's protocols, shared by the controller and naisd.

Only `fasit.agents` and `naisd` import this package (tests/unit/test_architecture.py checks
it), and it imports nothing of either. Regenerate with `make proto`; never edit `*_pb2*`.
"""
