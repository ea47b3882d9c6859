"""The ``cnp`` command line (Typer). Run ``cnp --help`` or ``python -m cnp_cli --help``."""
