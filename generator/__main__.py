"""Allow `python -m generator`."""

import signal
import sys

from generator.cli import main

# A terminated run (`kill`, a cancelled CI job) cleans up like Ctrl-C: no staging folder is left.
signal.signal(signal.SIGTERM, signal.default_int_handler)
sys.exit(main())
