"""``python -m iamkit.cli``: the ``iamkit`` command."""

import sys

from iamkit.cli import main

sys.exit(main())
