"""Allows `python -m generator`, the same entry point as the `obsgen` script."""

import sys

from generator.cli import main

sys.exit(main())
