"""`python -m quantrac` is the same as the `quantrac` command."""

from quantrac.cli import main

main()
