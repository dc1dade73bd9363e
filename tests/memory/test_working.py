"""Working memory: labelled sections in a fixed order, per-section token counts, the budget."""

from __future__ import annotations

import pytest

from koclaw.tools import default_tools
from memory import working
from memory.session import Message
from memory.tokens import clip, estimate_tokens
from memory.working import fit_text

SPECS = default_tools().specs()


def msg(i: int, role: str, content: str) -> Message:
    return Message(id=i, conversation_id=1, role=role, content=content, status="ok", created_at="")


def build(**kwargs: object) -> working.Context:
    args: dict[str, object] = {
        "persona": "# Kokoron\nA cheerful secretary.",
        "tools": SPECS,
        "now_note": "## This turn\nNow: 2025-03-04.",
        "message": "What time is it?",
    }
    args.update(kwargs)
    return working.build(**args)  # type: ignore[arg-type]


def test_sections_in_order_with_labels() -> None:
    memories = [working.MemoryRecord("Sensei likes ramen", "2025-01-02T10:00:00", "fact", 4)]
    ctx = build(
        memories=memories,
        summary="Sensei planned a trip to Kyoto.",
        history=[msg(1, "user", "hi"), msg(2, "assistant", "Hello, Sensei.")],
    )
    system = ctx.messages[0]["content"]
    labels = [
        working.SOUL_HEADER,
        working.TOOLS_HEADER,
        working.MEMORY_HEADER,
        working.SESSION_HEADER,
    ]
    positions = [system.index(label) for label in labels]
    assert positions == sorted(positions) and positions[0] == 0
    assert "lives in your weights" in system and "current_time" in system and '"tool"' in system
    assert "- (2025-01-02, fact) Sensei likes ramen" in system
    assert "Summary of the earlier turns: Sensei planned a trip to Kyoto." in system
    assert [m["content"] for m in ctx.messages[1:3]] == ["hi", "Hello, Sensei."]
    last = ctx.messages[-1]
    assert last["role"] == "user" and last["content"].startswith(working.NOW_HEADER + "\n## This turn")
    assert last["content"].endswith("\n\nWhat time is it?")
    assert list(ctx.tokens) == list(working.SECTIONS)


def test_empty_memory_and_session_are_short() -> None:
    system = build().messages[0]["content"]
    assert working.NOTHING_RECALLED in system and working.SESSION_EMPTY in system
    assert working.TOOLS_HEADER not in build(tools=[]).messages[0]["content"]


def test_stable_prefix_across_turns() -> None:
    a = build(memories=[working.MemoryRecord("one", "2025-01-01")]).messages[0]["content"]
    b = build(memories=[working.MemoryRecord("two", "2025-02-02")], summary="s").messages[0]["content"]
    head = a.index(working.MEMORY_HEADER)
    assert a[:head] == b[:head]


def test_token_accounting() -> None:
    history = [msg(1, "user", "今日はラーメンを食べた"), msg(2, "assistant", "いいですね、先生！")]
    ctx = build(history=history, summary="x" * 400)
    assert ctx.tokens["message"] == estimate_tokens("What time is it?")
    assert ctx.tokens["session"] >= estimate_tokens("x" * 400) + sum(
        estimate_tokens(m.content) for m in history
    )
    assert ctx.tokens["tools"] == estimate_tokens(working.render_tools(SPECS)) > 0
    assert ctx.total_tokens == sum(ctx.tokens.values())
    ctx.add_tool_round(
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [{"id": "c", "function": {"name": "current_time"}}],
        },
        [("c", "current_time", "2025-03-04 05:06")],
    )
    assert ctx.messages[-1]["content"] == f"{working.TOOL_RESULTS_HEADER}: current_time\n2025-03-04 05:06"
    assert ctx.tokens["tool_results"] > estimate_tokens("2025-03-04 05:06")


def test_memories_respect_their_budget_in_recall_order() -> None:
    memories = [
        working.MemoryRecord(f"memory number {i} " * 10, "2025-01-01", importance=5 - i % 5)
        for i in range(50)
    ]
    ctx = build(memories=memories, memory_tokens=200)
    assert ctx.tokens["memory"] <= 200 and ctx.memories_left_out > 0
    system = ctx.messages[0]["content"]
    # recall already weighed importance: its first hit (maybe an exact match) is never dropped for a later one
    assert "memory number 0 " in system and "memory number 49 " not in system
    assert system.index("memory number 0 ") < system.index("memory number 1 ")


def test_budget_shares() -> None:
    budget = working.Budget(context=8192, reply=1024, history_share=0.5)
    assert budget.for_session() == 4096 and budget.for_memory() == 819
    assert budget.for_history(2000, 100) == 4096
    assert budget.for_history(6000, 1000) == 8192 - 1024 - 7000 - working.SAFETY_MARGIN_TOKENS
    assert budget.for_history(7000, 1000) == 0


def test_assemble_gives_the_turns_what_the_other_tiers_leave_and_never_more_than_the_context() -> None:
    budget = working.Budget(context=2048, reply=512, history_share=0.5)
    asked: list[int] = []
    turns = [
        msg(i, "user" if i % 2 else "assistant", "Sensei talked about the harbour. " * 3) for i in range(200)
    ]

    def history(max_tokens: int) -> list[Message]:
        asked.append(max_tokens)
        kept, used = [], 0
        for m in reversed(turns):  # the newest turns that fit, as SessionStore.history picks them
            cost = estimate_tokens(m.content) + working.MESSAGE_OVERHEAD_TOKENS
            if used + cost > max_tokens:
                break
            kept.append(m)
            used += cost
        return kept[::-1]

    def assemble(message: str, summary: str | None) -> tuple[working.Context, int]:
        return working.assemble(
            budget,
            persona="# Kokoron\nA cheerful secretary.",
            tools=SPECS,
            message=message,
            max_input_chars=100_000,
            memories=[working.MemoryRecord("Sensei likes ramen", "2025-01-02T10:00:00", "fact", 4)],
            summary=summary,
            history=history,
            now_note="## This turn\nNow: 2025-03-04.",
        )

    short, cut = assemble("What time is it?", None)
    assert cut == 0 and short.tokens["session"] > 0 and "Sensei likes ramen" in short.messages[0]["content"]
    assert short.total_tokens <= budget.context - budget.reply
    with_summary, _ = assemble("What time is it?", "Sensei planned a trip to Kyoto. " * 20)
    assert asked[1] < asked[0]  # the summary's tokens come out of the turns' share
    assert with_summary.total_tokens <= budget.context - budget.reply
    long, cut = assemble("harbour " * 5000, None)  # the message alone is over the context
    assert cut > 0 and asked[2] < asked[0] and long.total_tokens <= budget.context - budget.reply


SCRIPTS = [
    "Sensei, " * 800,
    "老师今天辛苦了。" * 600,
    "Привет, учитель! " * 400,
    "🌸✨" * 900,
    "先生、ok, ж🌸" * 500,
]


@pytest.mark.parametrize("text", SCRIPTS, ids=["ascii", "cjk", "cyrillic", "emoji", "mixed"])
def test_a_clipped_text_keeps_its_start_or_end_within_the_budget_in_any_script(text: str) -> None:
    for max_tokens in (16, 128, 480):
        head, tail = clip(text, max_tokens), clip(text, max_tokens, keep="end")
        assert text.startswith(head) and text.endswith(tail)
        for part in (head, tail):
            assert max_tokens - 4 <= estimate_tokens(part) <= max_tokens + 1
    assert clip("short", 16) == "short"


@pytest.mark.parametrize("text", SCRIPTS, ids=["ascii", "cjk", "cyrillic", "emoji", "mixed"])
def test_an_over_long_message_keeps_its_start_and_end_within_the_budget(text: str) -> None:
    for max_tokens, max_chars in ((200, 100_000), (100_000, 600)):
        shown, cut = fit_text(text, max_tokens, max_chars)
        head, _, rest = shown.partition("\n[... ")
        note, _, tail = rest.partition(" ...]\n")
        assert note == f"{cut} characters omitted: the message was too long to read whole"
        assert text.startswith(head) and text.endswith(tail) and head and tail
        assert len(head) + cut + len(tail) == len(text)
        assert estimate_tokens(shown) <= max_tokens and len(head) + len(tail) <= max_chars
    assert fit_text("short", 200, 600) == ("short", 0)
