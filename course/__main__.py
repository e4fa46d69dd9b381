"""`python -m course`: the whole command line, which progress/cli.py composes above the engine and the store
(the one place under course/ that reaches the store: the program's entry, imported by nobody)."""

import sys

from progress.cli import main

sys.exit(main())
