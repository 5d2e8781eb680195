"""``python -m c4desk`` is the ``c4desk`` command."""

import sys

from c4desk.cli import main

sys.exit(main())
