"""``python -m resilience_kit``: command-line entry point."""

from __future__ import annotations

import sys

from resilience_kit._cli._main import main

if __name__ == "__main__":
    sys.exit(main())
