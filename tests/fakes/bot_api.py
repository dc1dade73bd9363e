"""A fake Telegram Bot API server on localhost: the Telegram boundary for tests.

It speaks real HTTP, so the real python-telegram-bot library (httpx, rate limiter, Updater)
talks to it as it would to api.telegram.org: point `KOCLAW_TELEGRAM__BASE_URL` at `base_url`.
It implements the few methods Koclaw uses (getMe, deleteWebhook, getUpdates with long polling
and offsets, setMyCommands, sendMessage, sendMessageDraft, editMessageText, sendChatAction),
checks what Telegram checks (token, HTML that parses, 4096 characters after entity parsing,
draft_id non-zero, drafts only in private chats, "message is not modified"), records every
call, and can be told to fail: drafts refused, a 429 flood wait, a forced "not modified".
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

BOT_ID = 7000001
BOT_USERNAME = "kokoron_test_bot"
STRING_PARAMS = {"text", "caption", "parse_mode", "action", "description", "short_description"}
ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre"}
ALLOWED_TAGS |= {"tg-spoiler", "span", "blockquote", "tg-emoji"}


class ApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: float | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after


@dataclass
class ApiCall:
    method: str
    params: dict[str, Any]
    at: float  # perf_counter when the request arrived
    status: int = 200

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))


@dataclass
class BotMessage:
    """A message the bot sent, with its text after every edit."""

    message_id: int
    chat_id: int
    texts: list[str] = field(default_factory=list)  # as sent (escaped HTML)
    reply_to: int | None = None

    @property
    def text(self) -> str:
        return self.texts[-1]

    @property
    def plain(self) -> str:
        """The text as the person sees it (entities parsed)."""
        return html.unescape(self.text)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


class _HTMLCheck(HTMLParser):
    """Telegram's HTML rules, enough to catch unescaped model output."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.problem: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problem = f'Unsupported start tag "{tag}"'

    def handle_endtag(self, tag: str) -> None:
        if tag not in ALLOWED_TAGS:
            self.problem = f'Unsupported end tag "{tag}"'

    def handle_entityref(self, name: str) -> None:
        if name not in ("lt", "gt", "amp", "quot"):
            self.problem = f"Unsupported entity &{name};"


def check_html(text: str) -> None:
    checker = _HTMLCheck()
    checker.feed(text)
    checker.close()
    if re.search(r"&(?![a-zA-Z]+;|#\d+;|#x[0-9a-fA-F]+;)", text):
        checker.problem = "Character '&' is reserved and must be escaped"
    if "<" in re.sub(r"</?[a-zA-Z-]+[^<>]*>", "", text):
        checker.problem = checker.problem or "Unexpected '<'"
    if checker.problem:
        raise ApiError(400, f"Bad Request: can't parse entities: {checker.problem}")


class FakeBotAPI:
    def __init__(self, token: str, *, host: str = "127.0.0.1", max_poll_s: float = 0.3) -> None:
        self.token = token
        self.max_poll_s = max_poll_s
        self.calls: list[ApiCall] = []
        self.messages: dict[int, BotMessage] = {}  # message id -> what the bot sent
        self.chats: dict[int, dict[str, Any]] = {}
        # Failure switches (tests set these).
        self.fail_drafts = False
        self.retry_after: dict[str, list[float]] = {}  # method -> flood waits to answer next
        self.not_modified = 0  # answer the next N editMessageText with "message is not modified"
        self.held: dict[str, threading.Event] = {}  # method -> carried out, answered once the event is set
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._handed_out = 0  # highest update id returned by getUpdates
        self._cond = threading.Condition()
        self._closing = False
        self._server = ThreadingHTTPServer((host, 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    # -- lifecycle -------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/bot"

    def start(self) -> FakeBotAPI:
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeBotAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what tests push -------------------------------------------------------------------------
    def push_message(
        self,
        chat_id: int,
        user_id: int,
        text: str | None = None,
        *,
        chat_type: str = "private",
        first_name: str = "Sensei",
        language_code: str | None = None,
        reply_to: int | None = None,
        media: str | None = None,
        caption: str | None = None,
    ) -> dict[str, Any]:
        """Queue an incoming message (as Telegram would deliver it); returns the Message object."""
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code:
            user["language_code"] = language_code
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        chat.update({"first_name": first_name} if chat_type == "private" else {"title": f"group {chat_id}"})
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": user,
        }
        if text is not None:
            message["text"] = text
            if entities := _entities(text):
                message["entities"] = entities
        if media is not None:
            message.update(_media(media))
        if caption is not None:
            message["caption"] = caption
            if entities := _entities(caption, commands=False):
                message["caption_entities"] = entities
        if reply_to is not None:
            message["reply_to_message"] = self._message_object(self.messages[reply_to])
        with self._cond:
            self.chats[chat_id] = chat
            self._updates.append({"update_id": next(self._update_ids), "message": message})
            self._cond.notify_all()
        return message

    def redeliver(self, message: dict[str, Any]) -> None:
        """Hand a message out again, as Telegram does with updates a bot fetched but never confirmed
        (it stopped before its next poll)."""
        with self._cond:
            self._updates.append({"update_id": next(self._update_ids), "message": message})
            self._cond.notify_all()

    # -- what tests read -------------------------------------------------------------------------
    def calls_to(self, method: str, chat_id: int | None = None) -> list[ApiCall]:
        return [
            c for c in list(self.calls) if c.method == method and (chat_id is None or c.chat_id == chat_id)
        ]

    def sent(self, chat_id: int) -> list[BotMessage]:
        """The bot's messages in a chat, oldest first, each with its latest text."""
        return [m for m in list(self.messages.values()) if m.chat_id == chat_id]

    def plain_texts(self, chat_id: int) -> list[str]:
        return [m.plain for m in self.sent(chat_id)]

    @property
    def polling(self) -> bool:
        return any(c.method == "getUpdates" for c in list(self.calls))

    def all_delivered(self) -> bool:
        with self._cond:
            return not self._updates or self._handed_out >= self._updates[-1]["update_id"]

    async def wait_for(self, condition: Callable[[], bool], timeout: float = 15.0, what: str = "") -> None:
        """Wait (in the test's event loop) until `condition()` holds; fail with `what` otherwise."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what or condition}; calls: {self.summary()}")
            await asyncio.sleep(0.01)

    def summary(self) -> list[str]:
        return [f"{c.method}({c.params.get('chat_id', '')})={c.status}" for c in list(self.calls)]

    # -- the API ---------------------------------------------------------------------------------
    def handle(self, method: str, params: dict[str, Any]) -> Any:
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            raise ApiError(404, "Not Found: method not found")
        waits = self.retry_after.get(method)
        if waits:
            wait = waits.pop(0)
            raise ApiError(429, f"Too Many Requests: retry after {wait:g}", retry_after=wait)
        return handler(params)

    def _api_getMe(self, params: dict[str, Any]) -> Any:
        return _bot_user()

    def _api_deleteWebhook(self, params: dict[str, Any]) -> Any:
        return True

    def _api_setMyCommands(self, params: dict[str, Any]) -> Any:
        return True

    def _api_sendChatAction(self, params: dict[str, Any]) -> Any:
        return True

    def _api_getUpdates(self, params: dict[str, Any]) -> Any:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = min(float(params.get("timeout") or 0), self.max_poll_s)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                if offset:
                    self._updates = [u for u in self._updates if u["update_id"] >= offset]
                ready = [u for u in self._updates if u["update_id"] >= offset][:limit]
                left = deadline - time.monotonic()
                if ready or left <= 0 or self._closing:
                    break
                self._cond.wait(left)
            if ready:
                self._handed_out = max(self._handed_out, ready[-1]["update_id"])
            return ready

    def _api_sendMessage(self, params: dict[str, Any]) -> Any:
        chat_id, text = int(params["chat_id"]), self._checked_text(params)
        reply = params.get("reply_parameters")
        message = BotMessage(
            next(self._message_ids),
            chat_id,
            [text],
            reply.get("message_id") if isinstance(reply, dict) else None,
        )
        self.messages[message.message_id] = message
        return self._message_object(message)

    def _api_sendMessageDraft(self, params: dict[str, Any]) -> Any:
        chat_id = int(params["chat_id"])
        if self.fail_drafts:
            raise ApiError(400, "Bad Request: TEXTDRAFT_PEER_INVALID")
        if int(params.get("draft_id") or 0) == 0:
            raise ApiError(400, "Bad Request: draft_id must be non-zero")
        if self.chats.get(chat_id, {}).get("type", "private") != "private":
            raise ApiError(400, "Bad Request: drafts can be sent only to private chats")
        if params.get("text"):
            self._checked_text(params)
        return True

    def _api_editMessageText(self, params: dict[str, Any]) -> Any:
        message = self.messages.get(int(params.get("message_id") or 0))
        if message is None or message.chat_id != int(params["chat_id"]):
            raise ApiError(400, "Bad Request: message to edit not found")
        text = self._checked_text(params)
        if self.not_modified > 0 or text == message.text:
            self.not_modified = max(0, self.not_modified - 1)
            if text != message.text:
                message.texts.append(text)  # it already showed this text (that is what the error means)
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply markup "
                "of the existing message are exactly the same",
            )
        message.texts.append(text)
        return {**self._message_object(message), "edit_date": int(time.time())}

    def _checked_text(self, params: dict[str, Any]) -> str:
        text = str(params.get("text", ""))
        if params.get("parse_mode") == "HTML":
            check_html(text)
            shown = html.unescape(re.sub(r"</?[a-zA-Z-]+[^<>]*>", "", text))
        else:
            shown = text
        if not shown.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(shown) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        return text

    def _message_object(self, message: BotMessage) -> dict[str, Any]:
        chat = self.chats.get(message.chat_id, {"id": message.chat_id, "type": "private", "first_name": "?"})
        return {
            "message_id": message.message_id,
            "date": int(time.time()),
            "chat": chat,
            "from": _bot_user(),
            "text": html.unescape(message.text),
        }


def _bot_user() -> dict[str, Any]:
    return {
        "id": BOT_ID,
        "is_bot": True,
        "first_name": "Kokoron",
        "username": BOT_USERNAME,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
    }


def _entities(text: str, *, commands: bool = True) -> list[dict[str, Any]]:
    """Entities as Telegram computes them: offsets and lengths in UTF-16 code units."""
    found = []
    if commands and (match := re.match(r"/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?", text)):
        found.append({"type": "bot_command", "offset": 0, "length": utf16_len(match.group())})
    for match in re.finditer(r"(?<![\w@])@[A-Za-z0-9_]{3,}", text):
        if match.start() == 0 and found:
            continue
        found.append(
            {
                "type": "mention",
                "offset": utf16_len(text[: match.start()]),
                "length": utf16_len(match.group()),
            }
        )
    return found


def _media(kind: str) -> dict[str, Any]:
    file = {"file_id": f"{kind}-1", "file_unique_id": f"{kind}-u1"}
    shapes: dict[str, Any] = {
        "photo": [{**file, "width": 90, "height": 90}],
        "voice": {**file, "duration": 2},
        "audio": {**file, "duration": 2},
        "sticker": {
            **file,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        },
        "document": {**file, "file_name": "notes.pdf"},
        "video": {**file, "width": 90, "height": 90, "duration": 2},
        "location": {"latitude": 35.68, "longitude": 139.76},
    }
    return {kind: shapes[kind]}


def _decode(params: dict[str, str]) -> dict[str, Any]:
    """PTB sends form fields, JSON-encoding every non-string value."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if key in STRING_PARAMS:
            out[key] = value
            continue
        try:
            out[key] = json.loads(value)
        except ValueError:
            out[key] = value
    return out


def _handler(api: FakeBotAPI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            self._serve({})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            raw = self.rfile.read(length) if length else b""
            kind = self.headers.get("Content-Type", "")
            if "json" in kind:
                params = json.loads(raw or b"{}")
            else:
                params = _decode(
                    {k: v[-1] for k, v in parse_qs(raw.decode(), keep_blank_values=True).items()}
                )
            self._serve(params)

        def _serve(self, params: dict[str, Any]) -> None:
            at = time.perf_counter()
            match = re.fullmatch(r"/bot([^/]+)/(\w+)", self.path.split("?")[0])
            if match is None:
                self._reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                return
            token, method = match.groups()
            call = ApiCall(method, params, at)
            api.calls.append(call)
            if token != api.token:
                call.status = 401
                self._reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
                return
            try:
                result = api.handle(method, params)
                if (release := api.held.get(method)) is not None:
                    release.wait(60)
            except ApiError as exc:
                call.status = exc.code
                body: dict[str, Any] = {"ok": False, "error_code": exc.code, "description": exc.description}
                if exc.retry_after is not None:
                    body["parameters"] = {"retry_after": exc.retry_after}
                self._reply(exc.code, body)
                return
            self._reply(200, {"ok": True, "result": result})

        def _reply(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload, ensure_ascii=False).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (e.g. a poll at shutdown)
                self.close_connection = True

    return Handler
