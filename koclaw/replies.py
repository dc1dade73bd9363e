"""Short in-character lines Koclaw shows when the model cannot answer. Never model output."""

from __future__ import annotations

from typing import Literal

Situation = Literal["unavailable", "busy", "rejected", "broken", "thought_too_long", "empty", "too_slow"]

_LINES: dict[Situation, dict[str, str]] = {
    "unavailable": {
        "zh": "抱歉，老师……我现在连不上我的模型服务器。你的消息我已经记下了，请稍后再试一次。",
        "ja": "ごめんなさい、先生……いまモデルサーバーにつながりません。メッセージはちゃんと記録しましたので、少ししてからもう一度お願いします。",
        "en": "Sorry, Sensei... I can't reach my model server right now. I've kept your message; please try again in a moment.",
    },
    "busy": {
        "zh": "抱歉，老师，我的模型服务器现在太忙了，暂时接不了新的请求。你的消息我记下了，请过一会儿再试。",
        "ja": "ごめんなさい、先生。いまモデルサーバーが混み合っていて、受け付けてもらえません。メッセージは記録しましたので、少し時間をおいてもう一度お願いします。",
        "en": "Sorry, Sensei, my model server is too busy to take this right now. I've kept your message; please try again in a little while.",
    },
    "rejected": {
        "zh": "抱歉，老师，我的模型服务器拒绝了这次请求。你的消息已经保存好了，请管理员检查一下设置（koclaw doctor）。",
        "ja": "ごめんなさい、先生。モデルサーバーにリクエストを断られてしまいました。メッセージは保存済みです。設定を確認してください（koclaw doctor）。",
        "en": "Sorry, Sensei, my model server refused the request. Your message is saved; please check the settings with 'koclaw doctor'.",
    },
    "broken": {
        "zh": "……啊，老师，我的回答在半路断掉了。能再问我一次吗？",
        "ja": "……あっ、先生、返事が途中で途切れてしまいました。もう一度聞いてもらえますか？",
        "en": "...Ah, Sensei, my reply got cut off on the way. Could you ask me again?",
    },
    "thought_too_long": {
        "zh": "老师，我想得太久，结果没留下回答的空间了……能把问题说得再具体一点，再问我一次吗？",
        "ja": "先生、考えすぎて答える余裕がなくなってしまいました……もう少し絞って、もう一度聞いてもらえますか？",
        "en": "Sensei, I thought so long that I ran out of room to answer... Could you ask again, a little more narrowly?",
    },
    "too_slow": {
        "zh": "老师，对不起，这次我想得太久了，只好先停下来……能再问我一次吗？也许换个简单点的问法。",
        "ja": "先生、ごめんなさい。今回は時間がかかりすぎたので、いったん止めました……もう一度、少し簡単に聞いてもらえますか？",
        "en": "Sorry, Sensei, this one took me far too long, so I stopped... Could you ask again, maybe a little more simply?",
    },
    "empty": {
        "zh": "嗯……老师，我想了想，这次却没找到合适的话。能换个说法再告诉我吗？",
        "ja": "うーん……先生、考えてはみたのですが、今回は言葉が見つかりませんでした。言い方を変えてもう一度お願いできますか？",
        "en": "Hmm... Sensei, I thought it over but found no words this time. Could you put it another way?",
    },
}


def fallback(situation: Situation, lang: str) -> str:
    """The line for `situation` in `lang` (zh, ja or en; anything else gets English)."""
    lines = _LINES[situation]
    return lines.get(lang, lines["en"])
