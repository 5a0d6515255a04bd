"""`python -m naisd`: the same as the `naisd` command."""

import sys

from naisd.cli import main

sys.exit(main())
