"""Helpers shared by the command modules."""

from __future__ import annotations

import getpass
import json
import logging
import os
import sys
from typing import Any

import typer
from rich.console import Console

from koclaw.config import Settings, load_settings
from koclaw.errors import ConfigError


def settings_or_exit() -> Settings:
    """Load settings, or print the bad keys and exit 2."""
    try:
        settings = load_settings()
    except ConfigError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from None
    logging.getLogger().setLevel(settings.log_level.upper())
    return settings


def default_user() -> str:
    try:
        return os.environ.get("KOCLAW_USER") or getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "sensei"


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


JsonOption = typer.Option(False, "--json", help="print JSON")


def plain_console() -> Console:
    """Plain output for memory listings: no auto-highlighting of numbers and words in people's text."""
    return Console(highlight=False, soft_wrap=True)
