"""Koclaw: the runtime that gives Kokoron her memory, her channels and her Soul."""

__version__ = "0.1.0"
