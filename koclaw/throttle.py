"""A gate that opens at most once per interval: for a log line that would otherwise repeat on every
turn or every refused connection for as long as one condition lasts."""

from __future__ import annotations

import time


class Every:
    """`due()` is true at most once every `seconds` (the first call always)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._last = float("-inf")

    def due(self) -> bool:
        now = time.monotonic()
        if now - self._last < self.seconds:
            return False
        self._last = now
        return True
