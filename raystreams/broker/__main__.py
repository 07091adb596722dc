"""``python -m raystreams.broker [run | warm] [--kafka] [--port N]``: ``raystreams broker``."""

import sys

from raystreams.cli import main

sys.exit(main(["broker", *sys.argv[1:]]))
