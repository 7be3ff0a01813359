"""`python -m dffix`: the same command as the `dffix` script (dffix.launch)."""

from __future__ import annotations

import sys

from dffix.launch import main

if __name__ == "__main__":
    sys.exit(main())
