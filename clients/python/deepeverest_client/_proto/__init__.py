"""Generated from protos/ by clients/python/build_protos.py (make python-client): do not edit."""
