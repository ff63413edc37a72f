"""``python -m savedmodel.cli``: the ``savedmodel`` command."""

import sys

from savedmodel.cli.main import main

sys.exit(main())
