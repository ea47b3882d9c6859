"""Helpers the package folders' conftests share (a module of its own: every conftest is imported
under the name ``conftest``, so they cannot import each other)."""

from __future__ import annotations


def with_plugin_commands() -> None:
    """The `cnp` app as users get it: with the commands plugins add (e.g. cnp-h36m's `cnp data`)."""
    from cnp_cli.app import add_plugin_commands

    add_plugin_commands()
