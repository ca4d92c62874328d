"""``python -m resilience_kit``: the same command line as the ``resilience-kit`` script."""

from __future__ import annotations

import sys

from resilience_kit._cli import main

if __name__ == "__main__":
    sys.exit(main(prog="python -m resilience_kit"))
