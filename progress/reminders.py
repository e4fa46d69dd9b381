"""Placeholder: `python -m course remind` is being built."""

from __future__ import annotations


def add_command(commands) -> None:
    parser = commands.add_parser("remind", help="(under arbete)")
    parser.set_defaults(run=lambda args: 1)
