"""`python -m dffix`: the same command as the `dffix` script."""

from __future__ import annotations

import sys

from dffix.entry import main

if __name__ == "__main__":
    sys.exit(main())
