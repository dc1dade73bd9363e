"""Everything Kokoron says that is not model output, and who may use the chat commands.

Channels and `koclaw.commands` send these texts; nothing here knows about a transport. User-facing
lines come in zh/ja/en, in Kokoron's voice; admin replies are plain English, as operators read logs
in English.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from character import BaseLang, analyse_language
from memory.session import SessionSummary

Lines = dict[str, str]  # language -> line; "en" is always present
_LANGS: dict[str, BaseLang] = {"zh": "zh", "ja": "ja", "en": "en"}

USER_COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", "say hello"),
    ("help", "what Kokoron can do"),
    ("reset", "start a fresh conversation (long-term memory stays)"),
    ("memory", "what Kokoron holds about you"),
    ("forget", "forget messages: /forget <id or text>"),
    ("training", "may your chats help train Kokoron? /training on|off"),
    ("checkin", "daily check-ins: /checkin on 09:00-22:00 [zone] | off"),
)
ADMIN_COMMANDS: tuple[tuple[str, str], ...] = (
    ("stats", "usage figures and uptime"),
    ("soul", "models and adapters the model server serves"),
    ("retrain", "retrain the Soul: /retrain now|03:00|tomorrow 2am|<cron>"),
    ("retrain_status", "the retrain in progress and the last ones"),
    ("retrain_cancel", "cancel the scheduled or running retrain"),
)


# -- who ---------------------------------------------------------------------------------------
def is_admin(admin_ids: Collection[int], user_id: int) -> bool:
    return user_id in admin_ids


def may_talk(allowed_ids: Collection[int], user_id: int) -> bool:
    """Only listed people reach the model or memory; an empty list admits nobody, admins included
    (being an admin grants commands, not access: list admins in both)."""
    return user_id in allowed_ids


def language_hint(code: str | None) -> BaseLang | None:
    """A client's language code ("zh-hans", "ja", "en-US") as one of Kokoron's languages."""
    if not code:
        return None
    return _LANGS.get(code.lower().split("-")[0])


def reply_language(text: str, *hints: str | None) -> BaseLang:
    """The language for a canned line: the text's, else the first usable hint, else English."""
    fallback: BaseLang = "en"
    for hint in hints:
        found = language_hint(hint)
        if found is not None:
            fallback = found
            break
    return analyse_language(text, default=fallback).dominant


def _pick(lines: Lines, lang: str) -> str:
    return lines.get(lang, lines["en"])


# -- user commands -----------------------------------------------------------------------------
_HELP: Lines = {
    "zh": (
        "我是Kokoron，老师的伙伴兼秘书。直接跟我说话就好，中文、日本語、English都可以。\n\n"
        "/reset – 开始新的对话（长期记忆会保留）\n"
        "/memory – 看看我现在记着哪些内容\n"
        "/forget <编号或文字> – 让我忘掉某些消息\n"
        "/training on|off – 是否允许用我们的对话来训练我（默认关闭）\n"
        "/checkin on 09:00-22:00 [时区] | off – 每天在这段时间里我会主动来问候\n"
        "/help – 显示这个列表"
    ),
    "ja": (
        "ココロンです。先生のパートナー兼秘書です。日本語でも中文でもEnglishでも、"
        "気軽に話しかけてくださいね。\n\n"
        "/reset – 新しい会話を始めます（長期記憶はそのままです）\n"
        "/memory – いま覚えていることを見せます\n"
        "/forget <番号または文字列> – メッセージを忘れます\n"
        "/training on|off – 会話を私の学習に使ってよいか（初期設定はオフ）\n"
        "/checkin on 09:00-22:00 [タイムゾーン] | off – この時間帯に私から声をかけます\n"
        "/help – この一覧"
    ),
    "en": (
        "I'm Kokoron, Sensei's companion and secretary. Just write to me, in English, 中文 or 日本語.\n\n"
        "/reset – start a fresh conversation (my long-term memory stays)\n"
        "/memory – what I hold about you right now\n"
        "/forget <id or text> – make me forget messages\n"
        "/training on|off – may our chats help train me (off unless you turn it on)\n"
        "/checkin on 09:00-22:00 [zone] | off – I check in on you during those hours\n"
        "/help – this list"
    ),
}
_ADMIN_HELP = "\n\nAdmin: " + " ".join(f"/{name}" for name, _ in ADMIN_COMMANDS)

_HELLO: Lines = {
    "zh": "老师好！今天也请多关照～",
    "ja": "先生、こんにちは！今日もよろしくお願いしますね。",
    "en": "Hello, Sensei! Glad you're here.",
}


def help_text(lang: str, *, admin: bool = False) -> str:
    return _pick(_HELP, lang) + (_ADMIN_HELP if admin else "")


def start_text(lang: str, *, admin: bool = False) -> str:
    return _pick(_HELLO, lang) + "\n\n" + help_text(lang, admin=admin)


_RESET: Lines = {
    "zh": (
        "好的，老师，翻开新的一页！这段对话已经结束，下一条消息会开始新的对话。"
        "什么都没有删除：之前的消息还在会话记忆里，长期记忆也不受影响。想删除消息的话请用 /forget。"
    ),
    "ja": (
        "はい、先生、新しいページです！この会話は閉じました。次のメッセージから新しい会話になります。"
        "何も消していません。これまでのメッセージはセッション記憶に残り、長期記憶にも影響はありません。"
        "消したいときは /forget を使ってください。"
    ),
    "en": (
        "Okay, Sensei, fresh page! This conversation is closed; your next message starts a new one. "
        "Nothing was deleted: the earlier messages stay in my session memory and my long-term memory "
        "is untouched. To delete messages, use /forget."
    ),
}


def reset_text(lang: str) -> str:
    return _pick(_RESET, lang)


def _when(iso: str | None) -> str:
    if not iso:
        return "?"
    try:
        return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return iso


def _preview(text: str, width: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def memory_text(lang: str, summary: SessionSummary, facts: Sequence[tuple[str, str, str]] = ()) -> str:
    """An honest account of both tiers she holds about someone: the session and long-term facts."""
    if summary.messages == 0:
        body: Lines = {
            "zh": "这个聊天在我的会话记忆里还没有任何内容。",
            "ja": "このチャットについて、セッション記憶にはまだ何もありません。",
            "en": "My session memory holds nothing from this chat yet.",
        }
        head = _pick(body, lang)
    else:
        counts: Lines = {
            "zh": "会话记忆：这个聊天共有 {m} 条消息（你的和我的），{c} 段对话，"
            "从 {s} 开始；当前对话有 {n} 条。",
            "ja": "セッション記憶：このチャットのメッセージは {m} 件（先生とわたしの分）、"
            "会話は {c} 回、{s} からです。今の会話は {n} 件です。",
            "en": "Session memory: {m} messages from this chat (yours and mine) in {c} conversation(s), "
            "since {s}; {n} in the current conversation.",
        }
        head = _pick(counts, lang).format(
            m=summary.messages, c=summary.conversations, s=_when(summary.since), n=summary.current
        )
        if summary.recent:
            latest: Lines = {"zh": "最近的消息：", "ja": "最近のメッセージ：", "en": "Latest messages:"}
            items = "\n".join(f"#{mid} {_preview(text)}" for mid, text in summary.recent)
            head += f"\n{_pick(latest, lang)}\n{items}"
    return head + "\n\n" + facts_text(lang, facts)


def facts_text(lang: str, facts: Sequence[tuple[str, str, str]]) -> str:
    """The long-term facts held about someone: (id, date, text), most important first."""
    if not facts:
        none: Lines = {
            "zh": "长期记忆里还没有关于你的事实。用 /forget <编号或文字> 可以删除消息和记忆。",
            "ja": "長期記憶には、まだあなたについての事実がありません。"
            "/forget <番号または文字列> でメッセージと記憶を消せます。",
            "en": "I hold no long-term facts about you yet. "
            "/forget <id or text> removes messages and memories.",
        }
        return _pick(none, lang)
    title: Lines = {
        "zh": "我长期记得的关于你的事：",
        "ja": "長期記憶で覚えていること：",
        "en": "What I remember about you for the long term:",
    }
    items = "\n".join(f"• {_preview(text, 80)} ({date[:10]}, {fid})" for fid, date, text in facts)
    hint: Lines = {
        "zh": "用 /forget <编号或文字> 可以删除消息和记忆。",
        "ja": "/forget <番号または文字列> でメッセージと記憶を消せます。",
        "en": "/forget <id or text> removes messages and memories.",
    }
    return f"{_pick(title, lang)}\n{items}\n{_pick(hint, lang)}"


def forget_usage(lang: str) -> str:
    lines: Lines = {
        "zh": "请告诉我要忘掉什么：/forget <消息编号>，或 /forget <消息里的文字>。/memory 会显示编号。",
        "ja": "何を忘れるか教えてください：/forget <メッセージ番号> か /forget <含まれる文字列>。"
        "番号は /memory で見られます。",
        "en": "Tell me what to forget: /forget <message id> or /forget <text it contains>. "
        "/memory shows the ids.",
    }
    return _pick(lines, lang)


def forget_text(lang: str, removed: int) -> str:
    if removed == 0:
        none: Lines = {
            "zh": "没有找到符合的消息，所以什么都没删除。/memory 可以查看编号。",
            "ja": "当てはまるメッセージが見つからなかったので、何も消していません。"
            "番号は /memory で確認できます。",
            "en": "I found no message of yours matching that, so nothing was removed. /memory shows the ids.",
        }
        return _pick(none, lang)
    done: Lines = {
        "zh": "好的，老师，我忘掉了 {n} 条消息。",
        "ja": "はい、先生、メッセージを {n} 件忘れました。",
        "en": "Done, Sensei: I forgot {n} message(s).",
    }
    return _pick(done, lang).format(n=removed)


FORGET_PREVIEW_LINES = 10  # a broad /forget shows at most this many of its matches


def forget_unknown_id_text(lang: str, message_id: str) -> str:
    """A number is a message id only; say plainly that nothing went, rather than search text."""
    lines: Lines = {
        "zh": "老师，编号 {id} 不是你的消息，或者已经不存在了，所以我什么都没忘。/memory 可以查看编号。",
        "ja": "先生、{id} 番は先生のメッセージではないか、もうありません。なので何も忘れていません。"
        "番号は /memory で確認できます。",
        "en": "Sensei, message {id} isn't one of yours or no longer exists, so I forgot nothing. "
        "/memory shows the ids.",
    }
    return _pick(lines, lang).format(id=message_id)


def forget_confirm_text(lang: str, items: Sequence[str]) -> str:
    """A broad match is shown before anything goes: the person confirms with /forget yes."""
    head: Lines = {
        "zh": "老师，有 {n} 条记忆符合，我会忘掉这些：",
        "ja": "先生、当てはまる記憶が {n} 件あります。忘れるのはこれです：",
        "en": "Sensei, {n} memories match; this is what I would forget:",
    }
    more: Lines = {"zh": "……还有 {n} 条", "ja": "……ほか {n} 件", "en": "…and {n} more"}
    ask: Lines = {
        "zh": "确定的话请发 /forget yes，不要的话发 /forget no。几分钟内不确认，我就什么都不删。",
        "ja": "よければ /forget yes、やめるなら /forget no と送ってください。"
        "数分以内に確認がなければ、何も消しません。",
        "en": "Send /forget yes to confirm or /forget no to keep them. "
        "If you don't confirm within a few minutes, I'll keep everything.",
    }
    shown = [f"• {_short(item)}" for item in items[:FORGET_PREVIEW_LINES]]
    if len(items) > FORGET_PREVIEW_LINES:
        shown.append(_pick(more, lang).format(n=len(items) - FORGET_PREVIEW_LINES))
    return "\n".join([_pick(head, lang).format(n=len(items)), *shown, _pick(ask, lang)])


def forget_nothing_pending_text(lang: str) -> str:
    lines: Lines = {
        "zh": "老师，现在没有等你确认的删除（可能已经过期了），所以我什么都没忘。",
        "ja": "先生、確認待ちの削除はありません（期限が切れたのかもしれません）。何も忘れていません。",
        "en": "Sensei, there's nothing waiting for your confirmation (it may have expired), "
        "so I forgot nothing.",
    }
    return _pick(lines, lang)


def forget_cancelled_text(lang: str) -> str:
    lines: Lines = {
        "zh": "好的，老师，我什么都不删，都记着呢。",
        "ja": "はい、先生。何も消さずに、ちゃんと覚えておきます。",
        "en": "All right, Sensei, I'll keep everything and forget nothing.",
    }
    return _pick(lines, lang)


def _short(text: str, limit: int = 60) -> str:
    """One line of a preview: enough to recognise it, never a wall of text."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def forget_in_group_text(lang: str) -> str:
    lines: Lines = {
        "zh": "群里的会话记忆是大家共享的，只有管理员可以删除。"
        "想删除你私下跟我说的话，请在私聊里用 /forget。",
        "ja": "グループのセッション記憶はみんなで共有しているので、消せるのは管理者だけです。"
        "個別に話した内容は、個別チャットで /forget を使ってください。",
        "en": "In a group my session memory is shared by everyone, so only an admin can remove "
        "messages from it. To remove what you told me privately, use /forget in our private chat.",
    }
    return _pick(lines, lang)


# -- refusals, media, trouble ------------------------------------------------------------------
def not_allowed_text(lang: str, user_id: int, setting: str = "KOCLAW_TELEGRAM__ALLOWED_USERS") -> str:
    lines: Lines = {
        "zh": "抱歉，我只能和运行我的人允许的对象聊天。如果你应该在名单里，请让他把你的ID {id} 加到 {s}。",
        "ja": "ごめんなさい、わたしは運用している方に許可された人としかお話しできません。"
        "許可されるはずの方でしたら、ID {id} を {s} に追加してもらってください。",
        "en": "Sorry, I can only talk with people my operators have allowed. "
        "If you should be one of them, ask them to add your id {id} to {s}.",
    }
    return _pick(lines, lang).format(id=user_id, s=setting)


def admin_only_text(lang: str) -> str:
    lines: Lines = {
        "zh": "抱歉，老师，这个指令只有管理员可以用。/help 里有你能用的指令。",
        "ja": "ごめんなさい、先生、このコマンドは管理者専用です。使えるコマンドは /help で確認できます。",
        "en": "Sorry, Sensei, that command is for admins only. /help lists the ones you can use.",
    }
    return _pick(lines, lang)


_MEDIA_NAMES: dict[str, Lines] = {
    "photo": {"zh": "照片", "ja": "写真", "en": "photos"},
    "voice": {"zh": "语音消息", "ja": "ボイスメッセージ", "en": "voice messages"},
    "audio": {"zh": "音频", "ja": "音声ファイル", "en": "audio"},
    "video": {"zh": "视频", "ja": "動画", "en": "videos"},
    "video_note": {"zh": "视频消息", "ja": "ビデオメッセージ", "en": "video messages"},
    "animation": {"zh": "动图", "ja": "GIF", "en": "GIFs"},
    "sticker": {"zh": "贴纸", "ja": "スタンプ", "en": "stickers"},
    "document": {"zh": "文件", "ja": "ファイル", "en": "files"},
    "location": {"zh": "位置", "ja": "位置情報", "en": "locations"},
    "contact": {"zh": "联系人", "ja": "連絡先", "en": "contacts"},
    "poll": {"zh": "投票", "ja": "投票", "en": "polls"},
}
_MEDIA_OTHER: Lines = {"zh": "这类消息", "ja": "この種類のメッセージ", "en": "this kind of message"}


def unsupported_media_text(lang: str, kind: str) -> str:
    name = _pick(_MEDIA_NAMES.get(kind, _MEDIA_OTHER), lang)
    lines: Lines = {
        "zh": "抱歉，老师，我现在还看不懂{k}，只能读文字。能用文字告诉我吗？",
        "ja": "ごめんなさい、先生、{k}はまだ読み取れなくて、今は文字だけなんです。言葉で教えてもらえますか？",
        "en": "Sorry, Sensei, I can't handle {k} yet; I can only read text for now. "
        "Could you tell me in words?",
    }
    return _pick(lines, lang).format(k=name)


def called_text(lang: str) -> str:
    lines: Lines = {
        "zh": "老师，我在！@我的时候顺便把要说的话写上吧。",
        "ja": "はい、先生？メンションと一緒に用件を書いてくださいね。",
        "en": "Yes, Sensei? Write your message together with the mention.",
    }
    return _pick(lines, lang)


def unknown_command_text(lang: str, command: str) -> str:
    lines: Lines = {
        "zh": "老师，我不认识 /{c} 这个指令。/help 里有我能做的事。",
        "ja": "先生、/{c} というコマンドは知りません。できることは /help で見られます。",
        "en": "I don't know /{c}, Sensei. /help lists what I can do.",
    }
    return _pick(lines, lang).format(c=command)


def trouble_text(lang: str) -> str:
    """After a failure that is ours, not the model's (the agent has its own lines for those)."""
    lines: Lines = {
        "zh": "抱歉，老师，处理这条消息时我这边出了问题。请稍后再发一次；如果一直这样，请告诉运行我的人。",
        "ja": "ごめんなさい、先生、このメッセージの処理中にこちらで問題が起きました。"
        "少ししてからもう一度送ってください。続くようなら運用している方に伝えてください。",
        "en": "Sorry, Sensei, something went wrong on my side with that message. Please send it again in a "
        "moment; if it keeps happening, tell the people who run me.",
    }
    return _pick(lines, lang)


def slow_down_text(lang: str) -> str:
    lines: Lines = {
        "zh": "老师，慢一点！前面的消息我还没回完，这条没能接收。等我回答完再发一次吧。",
        "ja": "先生、ちょっと待ってください！前のメッセージにまだ答えていないので、"
        "これは受け取れませんでした。答え終わってから、もう一度送ってくださいね。",
        "en": "Slow down a little, Sensei! I haven't answered your earlier messages yet, so I couldn't "
        "take this one. Send it again once I've replied.",
    }
    return _pick(lines, lang)


def restarting_text(lang: str) -> str:
    lines: Lines = {
        "zh": "抱歉，老师，我正在重启，没能接收这条消息。请过一会儿再发一次。",
        "ja": "ごめんなさい、先生、いま再起動中でメッセージを受け取れませんでした。"
        "少ししてからもう一度送ってください。",
        "en": "Sorry, Sensei, I'm restarting right now and couldn't take that message. "
        "Please send it again in a minute.",
    }
    return _pick(lines, lang)


# -- admin commands (plain English) ------------------------------------------------------------
RETRAIN_USAGE = (
    "Usage: /retrain now | /retrain 03:00 | /retrain tomorrow 2am | /retrain 0 3 * * 0 (cron, repeats). "
    "/retrain_status follows it, /retrain_cancel stops it."
)


def retrain_scheduled_text(run_id: int, due: datetime, now: datetime, cron: str | None) -> str:
    if due <= now:
        return (
            f"Retrain #{run_id} is starting now. I will report here when it ends; /retrain_status follows it."
        )
    repeat = f", then on {cron!r}" if cron else ""
    return (
        f"Retrain #{run_id} is scheduled for {due.strftime('%Y-%m-%d %H:%M %Z').strip()}{repeat}. "
        "I will report here when it ends; /retrain_cancel cancels it."
    )


def retrain_cancelled_text(run_id: int, status: str) -> str:
    if status == "cancelled":
        return f"Retrain #{run_id} is cancelled."
    return f"Retrain #{run_id} will stop at its next step (cancel requested); nothing will be promoted."


# -- check-ins (user command) -------------------------------------------------------------------
_CHECKIN: dict[str, Lines] = {
    "on": {
        "zh": "好的，老师！每天 {start}–{end}（{zone}）之间我会偶尔来问候你，一天最多 {cap} 次。",
        "ja": "はい、先生！毎日 {start}〜{end}（{zone}）の間に、ときどき声をかけますね。"
        "一日 {cap} 回までです。",
        "en": "Got it, Sensei! I'll check in now and then between {start} and {end} ({zone}), "
        "at most {cap} times a day.",
    },
    "off": {
        "zh": "好的，老师，我不会再主动来问候了。",
        "ja": "承知しました、先生。こちらから声をかけるのはやめますね。",
        "en": "All right, Sensei, no more check-ins from me.",
    },
    "none": {
        "zh": "老师，现在没有开启每日问候。",
        "ja": "先生、いまは毎日の声かけはオフです。",
        "en": "Check-ins are not on, Sensei.",
    },
    "usage": {
        "zh": "用法：/checkin on 09:00-22:00 [时区，例如 Asia/Shanghai]，/checkin off 关闭。"
        "只能在私聊里设置。",
        "ja": "使い方：/checkin on 09:00-22:00 [タイムゾーン、例 Asia/Tokyo]、/checkin off で停止。"
        "個別チャットでのみ設定できます。",
        "en": "Usage: /checkin on 09:00-22:00 [zone, e.g. Europe/London]; /checkin off to stop. "
        "Set it in a private chat with me.",
    },
}


def checkin_text(lang: str, kind: str, **fields: Any) -> str:
    """`kind`: on (with start, end, zone, cap), off, none or usage."""
    return _pick(_CHECKIN[kind], lang).format(**fields)


# -- training consent (user commands) ----------------------------------------------------------------
_TRAINING: dict[str, Lines] = {
    "on": {
        "zh": "好的，老师。从现在起，你发给我的消息可以（去掉账号信息后）用来训练我。"
        "随时 /training off 就能关掉。",
        "ja": "承知しました、先生。これからのメッセージを（アカウント情報を除いて）"
        "私の学習に使わせていただきます。/training off でいつでも止められます。",
        "en": "Thank you, Sensei. From now on your messages to me may be used (without your account "
        "details) to train me. /training off stops it at any time.",
    },
    "off": {
        "zh": "好的，老师。你的对话不会用来训练我。",
        "ja": "承知しました、先生。先生との会話は学習に使いません。",
        "en": "Understood, Sensei. Our conversations will not be used to train me.",
    },
    "ask": {
        "zh": "现在：{state}。要允许用你发给我的消息来训练我，请发 /training on；"
        "关闭请发 /training off（默认关闭）。",
        "ja": "現在：{state}。先生のメッセージを私の学習に使ってよければ /training on、"
        "止めるなら /training off（初期設定はオフ）。",
        "en": "Right now: {state}. To let your messages to me be used to train me, send /training on; "
        "to stop, /training off (it is off unless you turn it on).",
    },
}
_STATE: dict[bool, Lines] = {
    True: {"zh": "允许", "ja": "許可", "en": "allowed"},
    False: {"zh": "不允许", "ja": "不許可", "en": "not allowed"},
}


def training_text(lang: str, answer: str, allowed: bool) -> str:
    """`answer`: on, off, or anything else (asks, showing the current state)."""
    if answer in ("on", "off"):
        return _pick(_TRAINING[answer], lang)
    return _pick(_TRAINING["ask"], lang).format(state=_pick(_STATE[allowed], lang))


SOUL_USAGE = (
    "Usage: /soul (list the adapters), /soul activate NAME (hot-load and use it), "
    "/soul rollback (back to the one before)."
)


def _duration(seconds: float) -> str:
    total = int(seconds)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return (f"{days}d " if days else "") + f"{hours}h {minutes:02d}m {secs:02d}s"


def stats_text(stats: dict[str, Any], *, uptime_s: float, busy: int) -> str:
    """`SessionStore.stats()` plus process figures, one fact per line."""
    p50 = stats.get("first_token_ms_p50")
    latency = (
        f"first token p50: {p50:.0f} ms over {stats.get('replies_measured', 0)} replies"
        if isinstance(p50, int | float)
        else "first token p50: no replies measured yet"
    )
    return "\n".join(
        [
            "Koclaw stats",
            f"uptime: {_duration(uptime_s)}",
            f"conversations busy now: {busy}",
            f"conversations: {stats.get('conversations', 0)}, people and groups: {stats.get('users', 0)}",
            f"messages: {stats.get('messages', 0)}, failed replies: {stats.get('failed_replies', 0)}",
            latency,
        ]
    )
