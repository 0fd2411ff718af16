"""``python -m lrsched`` is the ``lrsched`` command."""

import sys

from .cli import main

sys.exit(main())
