"""`koclaw memory <tier> ...`: look into each memory tier, like `llm logs` (principle 7)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from character import analyse_language
from koclaw.agent import Inbound
from koclaw.cli.common import (
    JsonOption,
    fail,
    free_text,
    person,
    plain_console,
    print_json,
    settings_or_exit,
    shown,
    user_option,
)
from koclaw.cli.long_term import MAX_LISTED
from koclaw.cli.long_term import app as long_term_app
from koclaw.config import Settings
from koclaw.inputs import clean_input
from koclaw.soul import TierStatus, tier_lines, tier_status
from koclaw.terminal import terminal_safe
from memory.session import Conversation, Message, SessionStore
from memory.soul import SoulRegistry
from memory.working import Context

app = typer.Typer(help="Inspect Kokoron's memory tiers.", no_args_is_help=True)
session_app = typer.Typer(help="The session tier: conversations and messages (SQLite).", no_args_is_help=True)
app.add_typer(session_app, name="session")
app.add_typer(long_term_app, name="long-term")

UserFilter = user_option(None, "only this user's conversations")
SQLITE_MAX_INT = 2**63 - 1  # a larger id cannot be stored, so cannot be looked up


def _store() -> SessionStore:
    return SessionStore(settings_or_exit().session_db)


@session_app.command("path")
def session_path() -> None:
    """Print where the session database lives."""
    typer.echo(str(settings_or_exit().session_db))


@session_app.command("list")
def session_list(
    n: int = typer.Option(20, "-n", min=1, max=MAX_LISTED, help="how many conversations"),
    q: str | None = typer.Option(
        None, "-q", help="only conversations with a message containing this", callback=free_text
    ),
    user: str | None = UserFilter,
    as_json: bool = JsonOption,
) -> None:
    """List conversations, newest first."""
    user = person(settings_or_exit(), user, "conversations") if user else None
    rows = _store().list_conversations(limit=n, user_id=user, query=q)
    if as_json:
        print_json(rows)
        return
    if not rows and (q or user):
        who = f" of {user}" if user else ""
        typer.echo(f"No conversation{who}" + (f" has a message containing {q!r}." if q else "."))
        return
    if not rows:
        typer.echo("No conversations yet. Start one with: koclaw chat")
        return
    table = Table("id", "channel", "chat", "user", "messages", "updated", "ended")
    for r in rows:
        table.add_row(
            str(r["id"]),
            shown(r["channel"]),
            shown(r["chat_id"]),
            shown(r["user_id"]),
            str(r["messages"]),
            shown(r["updated_at"][:19].replace("T", " ")),
            shown((r["ended_at"] or "")[:19].replace("T", " ")),
        )
    plain_console().print(table)


@session_app.command("show")
def session_show(
    conversation_id: int = typer.Argument(
        ..., help="a conversation id from 'koclaw memory session list'", min=1, max=SQLITE_MAX_INT
    ),
    n: int | None = typer.Option(None, "-n", min=1, max=MAX_LISTED, help="only the last N messages"),
    reasoning: bool = typer.Option(False, "--reasoning", "-r", help="include Kokoron's hidden thinking"),
    as_json: bool = JsonOption,
) -> None:
    """Show one conversation's messages."""
    store = _store()
    conv = store.get_conversation(conversation_id)
    messages = store.messages(conversation_id, limit=n)
    if as_json:
        print_json(
            {"conversation": _conv_dict(conv), "messages": [m.to_dict(reasoning=reasoning) for m in messages]}
        )
        return
    console = plain_console()
    console.print(
        f"[bold]Conversation {conv.id}[/] · {shown(conv.channel)} · {shown(conv.user_id)} · "
        f"started {shown(conv.started_at[:19].replace('T', ' '))}"
    )
    for m in messages:
        _print_message(console, m, reasoning)


@session_app.command("search")
def session_search(
    query: str = typer.Argument(
        ..., help="text to find (any language; 3+ characters use the index)", callback=free_text
    ),
    n: int = typer.Option(20, "-n", min=1, max=MAX_LISTED),
    user: str | None = UserFilter,
    as_json: bool = JsonOption,
) -> None:
    """Find messages containing some text, newest first."""
    user = person(settings_or_exit(), user, "conversations") if user else None
    found = _store().search(query, limit=n, user_id=user)
    if as_json:
        print_json([m.to_dict() for m in found])
        return
    if not found:
        typer.echo(f"No message contains {query!r}.")
        return
    console = plain_console()
    for m in found:
        _print_message(console, m, False, conversation=True)


def _conv_dict(conv: Any) -> dict[str, Any]:
    return {name: getattr(conv, name) for name in conv.__slots__}


def _print_message(console: Console, m: Message, reasoning: bool, *, conversation: bool = False) -> None:
    who = {"user": "[cyan]Sensei[/]", "assistant": "[magenta]Kokoron[/]"}.get(m.role, shown(m.role))
    where = f"conv {m.conversation_id} · " if conversation else ""
    extra = "" if m.status in ("ok", "answered") else f" [yellow]({shown(m.status)})[/]"
    console.print(f"[dim]#{m.id} {where}{shown(m.created_at[:19].replace('T', ' '))}[/] {who}{extra}")
    if reasoning and m.reasoning:
        console.print(f"[dim italic]  <think> {shown(m.reasoning, multiline=True)}[/]")
    if m.content:
        console.print("  " + shown(m.content, multiline=True).replace("\n", "\n  "))
    for call in m.tool_calls:
        console.print(f"[dim]  tool {shown(call.get('name'))}({shown(call.get('arguments'))})[/]")
    if m.notice:
        console.print(f"[dim]  shown instead: {shown(m.notice, multiline=True)}[/]")


@app.command("working")
def working_context(
    message: str = typer.Argument(..., help="the next message, as Sensei would send it"),
    user: str = user_option(..., "who sends it (their memories and session)"),
    channel: str = typer.Option("cli", help="the channel whose conversation to use"),
    chat: str | None = typer.Option(None, help="the chat id (default: the terminal's chat for this user)"),
    as_json: bool = JsonOption,
) -> None:
    """Print the exact context the next turn would send, with the tokens each section takes."""
    settings = settings_or_exit()
    context = asyncio.run(_context(settings, user, message, channel, chat or user))
    if as_json:
        print_json({"tokens": context.tokens, "total": context.total_tokens, "messages": context.messages})
        return
    console = plain_console()
    for name, used in context.tokens.items():
        console.print(f"[dim]{shown(name):>13}[/] {used:6d} tokens")
    console.print(f"[dim]{'total':>13}[/] {context.total_tokens:6d} of {settings.llm.context_tokens}")
    for m in context.messages:
        console.print(f"\n[bold]── {shown(m['role'])} ──[/]")
        console.print(shown(m.get("content") or "", multiline=True))


async def _context(settings: Settings, user: str, message: str, channel: str, chat: str) -> Context:
    from koclaw.app import open_app  # the runtime's imports only for the commands that open it

    async with open_app(settings, run_jobs=False) as app:
        text = clean_input(message).text
        user = app.store.resolve_identity(user)
        # Inspecting never starts a conversation: with none open, the context is that of a first message.
        conv = app.store.open_conversation(channel, chat, user) or Conversation(
            id=0, channel=channel, chat_id=chat, user_id=user, user_name=user, started_at="", updated_at=""
        )
        inbound = Inbound(channel, chat, user, text, user_name=user)
        now = datetime.now().astimezone()
        context, _ = await app.agent.context_for(
            inbound, text, analyse_language(text), conv, before_id=None, now=now
        )
        return context


@app.command("soul")
def soul_tier(as_json: bool = JsonOption) -> None:
    """The Soul tier: the active adapter, whether the model server serves it, which model chat uses."""
    status = asyncio.run(_soul_status(settings_or_exit()))
    if as_json:
        print_json(status.as_dict())
        return
    for line in tier_lines(status):
        typer.echo(terminal_safe(line))


async def _soul_status(settings: Settings) -> TierStatus:
    from koclaw.llm.openai_compat import OpenAICompatModel

    registry, model = SoulRegistry(settings.soul_db), OpenAICompatModel(settings.llm)
    try:
        return await tier_status(registry, model, settings.llm.base_url, settings.llm.model)
    finally:
        await model.aclose()
        registry.close()


@app.command("training-consent")
def training_consent(
    answer: str = typer.Argument("show", help="on, off or show"),
    user: str = user_option(..., "the person (their user id)"),
) -> None:
    """Whether this person's own messages may be used to retrain the Soul (off unless turned on)."""
    if answer not in ("on", "off", "show"):
        raise fail(f"{answer!r}: use on, off or show.")
    user = person(settings_or_exit(), user, "conversations")
    store = _store()
    try:
        if answer != "show":
            store.set_training_consent(user, answer == "on", by="cli")
        allowed = store.training_consent(user)
    finally:
        store.close()
    typer.echo(f"{user}: training use {'allowed' if allowed else 'not allowed'}.")
