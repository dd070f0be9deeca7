#!/usr/bin/env python
"""Build (or refresh) the generated telephone dev set in .cache/telephone; see tests/support/telephone_set.py."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.telephone_set import main  # noqa: E402

if __name__ == "__main__":
    main()
