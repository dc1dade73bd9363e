"""The terminal channel: interactive chat with streaming, or one message per line for scripts."""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from typing import TextIO

from channels.base import Channel
from koclaw import phrases
from koclaw.agent import Inbound, TurnResult
from koclaw.commands import Commands, Scope
from koclaw.errors import InputError, KoclawError
from koclaw.events import ErrorEvent, Event, ReasoningDelta, TextDelta
from koclaw.identities import terminal_identity
from koclaw.inputs import safe_for_terminal
from koclaw.runtime import Runtime

log = logging.getLogger(__name__)

CHANNEL = "cli"
EXIT_WORDS = {"/exit", "/quit"}
COMMANDS = ("/memory", "/forget", "/reset")  # as on Telegram (koclaw.commands)
DIM, RESET, CLEAR_LINE = "\x1b[2m", "\x1b[0m", "\r\x1b[K"


def decode_line(raw: bytes) -> tuple[str, str | None]:
    """Bytes from stdin to text; invalid UTF-8 is replaced, and a note says so."""
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError:
        return raw.decode("utf-8", errors="replace"), "invalid UTF-8 was replaced with U+FFFD"


class _LineReader:
    """Reads stdin in a daemon thread, so a blocked read never holds up shutdown."""

    def __init__(self, interactive: bool, prompt: str) -> None:
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.interactive = interactive
        self.prompt = prompt
        self.loop = asyncio.get_running_loop()
        self.wanted = threading.Event()
        threading.Thread(target=self._read, daemon=True, name="stdin").start()

    def _read(self) -> None:
        while True:
            self.wanted.wait()
            self.wanted.clear()
            try:
                line = (
                    input(self.prompt).encode("utf-8", "surrogateescape")
                    if self.interactive
                    else (sys.stdin.buffer.readline() or None)
                )
            except EOFError:
                line = None
            except UnicodeDecodeError as exc:
                line = exc.object if isinstance(exc.object, bytes) else b""
            self.loop.call_soon_threadsafe(self.queue.put_nowait, line)
            if line is None:
                return

    async def next(self) -> bytes | None:
        self.wanted.set()
        return await self.queue.get()


class TerminalChannel(Channel):
    name = CHANNEL

    def __init__(
        self,
        user: str,
        *,
        interactive: bool,
        streaming: bool | None = None,
        out: TextIO | None = None,
        err: TextIO | None = None,
        commands: Commands | None = None,
    ) -> None:
        self.user = user
        self.commands = commands
        self.interactive = interactive
        self.streaming = interactive if streaming is None else streaming
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.current: asyncio.Future[TurnResult] | None = None
        self._said_how_to = False

    def inbound(self, text: str) -> Inbound:
        """`user` is an identity (`telegram:222`: that person's memory) or a bare name (`alice`, the
        terminal's `cli:alice`); the conversation is this terminal's either way."""
        person = terminal_identity(self.user)
        name = person.removeprefix(f"{CHANNEL}:")
        return Inbound(channel=CHANNEL, chat_id=f"cli:{name}", user_id=person, user_name=name, text=text)

    async def run(self, runtime: Runtime, stop: asyncio.Event) -> int:
        reader = _LineReader(self.interactive, "You › ")
        if self.interactive:
            self.err.write(
                f"{DIM}Chatting with Kokoron as {self.user}. /memory, /forget, /reset as on Telegram; "
                f"/exit or Ctrl-D to leave.{RESET}\n"
            )
        number, failures = 0, 0
        while not stop.is_set():
            next_line = asyncio.ensure_future(reader.next())
            stopped = asyncio.ensure_future(stop.wait())
            await asyncio.wait({next_line, stopped}, return_when=asyncio.FIRST_COMPLETED)
            stopped.cancel()
            if not next_line.done():
                next_line.cancel()
                break
            raw = next_line.result()
            if raw is None:
                if self.interactive:  # Ctrl-D leaves the cursor after the prompt: the shell's starts below
                    self.out.write("\n")
                    self.out.flush()
                break
            number += 1
            text, note = decode_line(raw.rstrip(b"\r\n"))
            if text.strip() in EXIT_WORDS:
                break
            if note:
                self._note(number, note)
            if not text.strip():
                if not self.interactive:
                    self._note(number, "empty line skipped")
                continue
            if self.commands is not None and text.split()[0] in COMMANDS:
                self.command(runtime, text)
                continue
            failures += not await self.send(runtime, text, number)
        return 1 if failures and not self.interactive else 0

    def command(self, runtime: Runtime, text: str) -> None:
        """/memory, /forget <id or text> (then /forget yes|no), /reset: what Telegram's commands do."""
        assert self.commands is not None
        name, _, args = text.strip().partition(" ")
        args = args.strip()
        mine = self.inbound(text)  # the same chat and identity her replies use
        scope = Scope(mine.channel, mine.chat_id, runtime.agent.store.resolve_identity(mine.user_id))
        lang = phrases.reply_language(args)
        try:
            if name == "/memory":
                said = self.commands.memory(scope, lang)
            elif name == "/reset":
                said = self.commands.reset(scope, lang)
            else:
                said = self.commands.forget(scope, args, lang, asker=scope)
        except Exception as exc:  # one command's failure ends neither the chat nor the lines after it
            log.exception("%s failed", name)
            self.err.write(f"koclaw: {name} failed ({safe_for_terminal(str(exc))}); the chat goes on.\n")
            return
        self.out.write(safe_for_terminal(said) + "\n")
        self.out.flush()

    async def send(self, runtime: Runtime, text: str, number: int = 1) -> bool:
        """One message through the runtime; returns whether Kokoron answered."""
        streaming = self.streaming
        prefix = "Kokoron › " if self.interactive else ""
        started = False

        async def show(event: Event) -> None:
            nonlocal started
            if isinstance(event, ErrorEvent):
                self._error(event)
            elif streaming and isinstance(event, ReasoningDelta) and not started:
                self.out.write(f"{CLEAR_LINE}{DIM}Kokoron is thinking…{RESET}")
                self.out.flush()
            elif streaming and isinstance(event, TextDelta):
                if not started:
                    started = True
                    self.out.write(f"{CLEAR_LINE}{prefix}")
                self.out.write(safe_for_terminal(event.text))
                self.out.flush()

        try:
            self.current = runtime.submit(self.inbound(text), show)
            result = await self.current
        except InputError as exc:
            self._note(number, str(exc))
            return False
        except asyncio.CancelledError:
            if streaming:
                self.out.write(f"{CLEAR_LINE if not started else ''}{DIM} [interrupted]{RESET}\n")
            return False
        except KoclawError as exc:
            self.err.write(f"koclaw: {exc}\n")
            return False
        finally:
            self.current = None
        for note in result.notes:
            self._note(number, note)
        if streaming:
            self.out.write("\n" if started else f"{CLEAR_LINE}{prefix}{safe_for_terminal(result.text)}\n")
        else:
            self.out.write(safe_for_terminal(result.text) + "\n")
        self.out.flush()
        return result.status in ("ok", "truncated")

    def interrupt(self) -> bool:
        """Cancel the reply being streamed, if any (Ctrl-C in a chat)."""
        if self.current is not None and not self.current.done():
            self.current.cancel()
            return True
        return False

    def _error(self, event: ErrorEvent) -> None:
        if event.kind == "unavailable":
            if self._said_how_to:
                return
            self._said_how_to = True
        self.err.write(f"koclaw: {event.message}\n")
        self.err.flush()

    def _note(self, number: int, note: str) -> None:
        where = "" if self.interactive else f"line {number}: "
        self.err.write(f"koclaw: {where}{note}\n")
        self.err.flush()
