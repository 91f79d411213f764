"""``python -m strikesim``: the same as the ``strikesim`` command."""

import sys

from strikesim.cli import main

sys.exit(main())
