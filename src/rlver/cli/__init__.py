"""The ``rlver`` command line."""

from rlver.cli.app import app, main

__all__ = ["app", "main"]
