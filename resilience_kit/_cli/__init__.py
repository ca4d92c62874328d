"""Command-line entry points (L4): ``python -m resilience_kit <command>``."""
