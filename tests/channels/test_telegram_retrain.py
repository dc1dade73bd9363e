"""/retrain, /retrain_status, /retrain_cancel, /training and /checkin through the fake Bot API.

Runs fail fast here (the teacher URL is dead), which is enough to see scheduling, the one-at-a-time
guard, cancel, and the report coming back to the admin's chat. Training itself is in
tests/finetune/test_retrain_e2e.py.
"""

from __future__ import annotations

import pytest

from koclaw import phrases
from tests.channels.test_telegram import ADMIN, ALICE, BOB, Bot, FakeBotAPI, bot_api, run_bot
from tests.fakes.openai_server import FakeOpenAIServer

__all__ = ["bot_api"]  # the fixture


def test_retrain_commands_consent_and_checkins(
    server: FakeOpenAIServer, bot_api: FakeBotAPI, monkeypatch: pytest.MonkeyPatch, dead_teacher: str
) -> None:
    for key, value in {
        "TEACHER_URL": dead_teacher, "TEACHER_MODEL": "teacher", "BASE_MODEL": "tiny",
    }.items():  # fmt: skip
        monkeypatch.setenv(f"KOCLAW_RETRAIN__{key}", value)
    monkeypatch.setenv("KOCLAW_TIMEZONE", "Asia/Tokyo")

    async def body(bot: Bot) -> None:
        bot_api.push_message(ADMIN, ADMIN, "/retrain tomorrow 3am")
        bot_api.push_message(ADMIN, ADMIN, "/retrain 04:00")  # both at once: one wins
        answers = await bot.messages(ADMIN, 2)
        assert sum(a.startswith("Retrain #1 is scheduled for ") for a in answers) == 1, answers
        assert sum(a.startswith("Not scheduled: Retrain #1 is already scheduled") for a in answers) == 1
        assert any(" JST" in a and "/retrain_cancel" in a for a in answers)

        bot_api.push_message(ADMIN, ADMIN, "/retrain_status")
        assert (await bot.messages(ADMIN, 3))[-1].startswith("Retrain #1 is scheduled for ")
        bot_api.push_message(ADMIN, ADMIN, "/retrain_cancel")
        await bot.said(ADMIN, "Retrain #1 is cancelled.")

        bot_api.push_message(ADMIN, ADMIN, "/retrain now")
        await bot.said(
            ADMIN, "Retrain #2 is starting now. I will report here when it ends; /retrain_status follows it."
        )
        await bot_api.wait_for(
            lambda: any(t.startswith("Retrain #2 failed in generate") for t in bot_api.plain_texts(ADMIN)),
            what="the report of the failed run",
            timeout=30,
        )
        report = next(t for t in bot_api.plain_texts(ADMIN) if t.startswith("Retrain #2 failed"))
        assert "Cannot reach the teacher" in report and "nothing was promoted" in report
        # The fake records the message before the bot reads its answer; the flag follows that answer.
        await bot_api.wait_for(lambda: bot.app.retrainer.store.get(2).report_sent == 1, what="report_sent")

        bot_api.push_message(ALICE, ALICE, "/retrain now")
        await bot.said(ALICE, phrases.admin_only_text("en"))
        bot_api.push_message(ALICE, ALICE, "/training")
        await bot.said(ALICE, phrases.training_text("en", "", False))
        bot_api.push_message(ALICE, ALICE, "/training on")
        await bot.said(ALICE, phrases.training_text("en", "on", True))
        assert bot.app.store.training_consent(f"telegram:{ALICE}") and not bot.app.store.training_consent(
            f"telegram:{BOB}"
        )

        bot_api.push_message(BOB, BOB, "/checkin on 22:00-02:00 Asia/Tokyo")
        on = phrases.checkin_text("en", "on", start="22:00", end="02:00", zone="Asia/Tokyo", cap=2)
        await bot.said(BOB, on)
        bot_api.push_message(BOB, BOB, "/checkin")
        await bot.said(BOB, on, count=2)
        bot_api.push_message(BOB, BOB, "/checkin on 25:00-02:00")
        await bot_api.wait_for(lambda: len(bot_api.sent(BOB)) >= 3, what="the refusal")
        assert phrases.checkin_text("en", "usage") in bot_api.plain_texts(BOB)[-1]
        bot_api.push_message(BOB, BOB, "/checkin off")
        await bot.said(BOB, phrases.checkin_text("en", "off"))
        assert not [s for s in bot.app.checkins.status(f"telegram:{BOB}") if s["enabled"]]

    assert run_bot(bot_api, body) == 0
