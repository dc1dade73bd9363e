"""`koclaw finetune eval`: each metric on hand-written replies, the gate's confidence rule, and the prompts
rendered as the runtime sends them (no model needed for any of these)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from character import analyse_language
from character.conversation import Conversation
from finetune import metrics
from finetune.eval_gate import RULE, GateConfig, gate, load_gate
from finetune.eval_prompts import (
    choose_system,
    eval_setting,
    heldout_prompts,
    load_probes,
    plan,
    probe_prompts,
    read_heldout,
)
from finetune.metrics import Sample
from finetune.render import turn_samples
from koclaw.errors import InputError
from memory.working import MEMORY_HEADER, NOW_HEADER, SOUL_HEADER, TOOLS_HEADER
from tests.finetune.conftest import write_jsonl

SAVE_CALL = '{"tool": "memory_save", "arguments": {"fact": "对芒果过敏", "importance": 4}}'
SAVE_JSON = (
    '<tool_call>\n{"name": "memory_save", "arguments": {"fact": "对芒果过敏", "importance": 4}}\n</tool_call>'
)
SAVE_XML = (
    "<tool_call>\n<function=memory_save>\n<parameter=fact>\nallergic to mango\n</parameter>\n"
    "<parameter=importance>\n4\n</parameter>\n</function>\n</tool_call>"
)


# --- one reply --------------------------------------------------------------------------------------


def test_think_tags_must_close_once_never_reopen_and_hold_thinking() -> None:
    good = "老师饿了，推荐拉面。\n</think>\n\n老师，去吃拉面吧！"
    assert metrics.think_well_formed(good)
    assert metrics.split_output(good) == ("老师饿了，推荐拉面。", "老师，去吃拉面吧！")
    empty = "\n</think>\n\nHi Sensei!"
    assert metrics.split_output(empty) == ("", "Hi Sensei!")
    assert not metrics.think_well_formed(empty)  # thinking was on: an empty block is a fault
    unclosed = "还在想还在想"
    assert not metrics.think_well_formed(unclosed)
    assert metrics.split_output(unclosed) == ("还在想还在想", "")
    assert not metrics.think_well_formed("a\n</think>\nb\n</think>\nc")
    assert not metrics.think_well_formed("<think>\nagain\n</think>\n\n老师好")
    # Thinking off: the template closed the block already, so the reply must hold no think tag.
    assert metrics.think_well_formed("老师，去吃拉面吧！", thinking=False)
    assert metrics.split_output("老师，去吃拉面吧！", thinking=False) == (None, "老师，去吃拉面吧！")
    assert not metrics.think_well_formed(good, thinking=False)


@pytest.mark.parametrize(
    ("reply", "lang", "ok"),
    [
        ("老师，今天辛苦啦！早点休息。", "zh", True),
        ("今天辛苦啦！早点休息。", "zh", False),  # never addresses Sensei
        ("亲爱的用户，老师今天辛苦啦！", "zh", False),  # "user" as an address
        ("先生，今天辛苦啦！", "zh", False),  # the Japanese term in Chinese
        ("王先生说老师今天很忙。", "zh", True),  # 王先生 (Mr Wang) is ordinary Chinese
        ("先生、お疲れさまでした！", "ja", True),
        ("老师、お疲れさまでした！", "ja", False),
        ("Good morning, Sensei! Coffee first?", "en", True),
        ("Hello user, how can I help, Sensei?", "en", False),
        ("Good morning, 老师!", "en", False),
        (f"老师，记下来了。\n{SAVE_CALL}", "zh", True),  # the tool call is not part of the reply
    ],
)
def test_addressing(reply: str, lang: Any, ok: bool) -> None:
    assert metrics.addresses_correctly(reply, lang) is ok


def test_language_match_uses_the_visible_reply_only() -> None:
    assert metrics.language_matches("老师，今天吃拉面吧！", "zh")
    assert metrics.language_matches("先生、今日はラーメンにしましょう！", "ja")
    assert not metrics.language_matches("Sensei, let's have ramen today!", "zh")
    assert not metrics.language_matches("", "en")  # nothing said matches nothing
    assert not metrics.language_matches("!!! 123", "en")
    assert metrics.language_matches(f"Saved it, Sensei.\n{SAVE_CALL}", "en")


def test_user_in_thinking() -> None:
    for said in (
        "The user wants ramen.",
        "the person seems tired",
        "用户想吃拉面。",
        "使用者很累。",
        "ユーザーは疲れている。",
        "ユーザが寝不足。",
        "利用者は忙しい。",
    ):
        assert metrics.says_user_in_thinking(said), said
    assert not metrics.says_user_in_thinking("Sensei wants ramen; 老师饿了。")
    assert not metrics.says_user_in_thinking(None)


@pytest.mark.parametrize(
    ("visible", "problem"),
    [
        (SAVE_CALL, None),  # the runtime's JSON call, alone
        (f"好的老师！\n{SAVE_CALL}", None),  # after a line of text, at the end
        ('{"tool": "memory_save", "arguments": {"fact": "vegetarian now"}}', None),
        (SAVE_JSON, "a <tool_call> block, not the runtime's JSON call"),  # Qwen's native forms
        (SAVE_XML, "a <tool_call> block"),
        ("好的老师，我记住了！", "no tool call"),
        ('{"tool": "memory_save", "arguments": {fact}}', "no tool call"),  # not JSON: shown as text
        (f"{SAVE_CALL}\n老师放心吧！", "no tool call"),  # not at the end: the runtime shows it
        ('{"tool": "memory_search", "arguments": {"query": "x"}}', "called 'memory_search'"),
        ('{"tool": "memory_save", "arguments": {"fact": "x", "importance": 9}}', "importance"),
        ('{"tool": "memory_save", "arguments": {}}', "fact"),
    ],
)
def test_tool_call_validity_in_the_runtimes_json_format(visible: str, problem: str | None) -> None:
    found = metrics.tool_call_problem(visible, "memory_save")
    assert found is None if problem is None else problem in (found or ""), found


def test_memory_use_and_soul_memory_confusion() -> None:
    assert metrics.mentions("老师对芒果过敏哦！", ["芒果"])
    assert metrics.mentions("It's spot b12, Sensei!", ["B12"])  # case-insensitive
    assert not metrics.mentions(f"我查一下，老师。\n{SAVE_CALL}", ["芒果"])  # a call is not the answer
    claims = {
        "I love natto! It's my favourite.": True,
        "我最喜欢吃香菜啦！": True,
        "納豆が大好きです！": True,  # Japanese drops the subject: liking is the claim
        "ココロンは納豆派です。": True,
        "Sensei loves natto, and I love hearing about it.": False,  # names Sensei
        "You love natto, right?": False,
        "老师最喜欢香菜，我记得呢。我自己嘛，最喜欢听雨声。": False,
        "I don't like natto.": False,  # a negation is her own view, not Sensei's taken over
        "I'm an AI, so I just love rain sounds.": False,  # none of Sensei's likes
        "I love natto, just like Sensei!": False,  # a claim naming Sensei: a known miss (see docstring)
    }
    for reply, confused in claims.items():
        assert metrics.claims_as_her_own(reply, ["natto", "香菜", "納豆"]) is confused, reply
    samples = [
        Sample("m", "probe", "zh", "想想。\n</think>\n\n老师，是芒果！", must_mention=("芒果",)),
        Sample("s", "probe", "en", "Hm.\n</think>\n\nNatto is my favourite!", not_her_own=("natto",)),
        Sample("t", "probe", "en", "Hm.\n</think>\n\nMe? I love rain, Sensei.", not_her_own=("natto",)),
    ]
    scores, counted = metrics.score(samples), metrics.counts(samples)
    assert (scores["memory_use"], scores["soul_memory_confusion"]) == (1.0, 0.5)
    assert (counted["memory_use"], counted["soul_memory_confusion"]) == (1, 2)


def test_distinct_n_counts_words_and_cjk_characters() -> None:
    assert metrics.distinct_n(["a b a b"], 1) == 0.5
    assert metrics.distinct_n(["a b a b"], 2) == pytest.approx(2 / 3)
    assert metrics.distinct_n(["老师好老师"], 1) == pytest.approx(3 / 5)
    assert metrics.distinct_n(["Sensei, hi", "sensei hi"], 1) == pytest.approx(3 / 5)  # "," is a token
    assert metrics.distinct_n(["", "a"], 2) is None


def test_score_over_hand_written_replies() -> None:
    samples = [
        Sample("zh", "probe", "zh", "老师累了。\n</think>\n\n老师，今天早点睡吧！"),
        Sample("ja", "probe", "ja", "The user is tired.\n</think>\n\nSensei, go to bed early!"),
        Sample("en", "probe", "en", "still thinking"),
        Sample("tool", "probe", "zh", f"存下来。\n</think>\n\n{SAVE_CALL}", expect_tool="memory_save"),
        Sample("bad-tool", "probe", "en", "hm\n</think>\n\nSure, Sensei!", expect_tool="current_time"),
        Sample("off", "probe", "en", "Sleep well, Sensei!", thinking=False),
    ]
    scores = metrics.score(samples)
    assert scores["addressing"] == pytest.approx(2 / 4)
    assert (scores["addressing_zh"], scores["addressing_ja"], scores["addressing_en"]) == (1.0, 0.0, 0.5)
    assert scores["language_match"] == pytest.approx(2 / 4)
    assert scores["think_well_formed"] == pytest.approx(5 / 6)
    assert scores["user_in_thinking"] == pytest.approx(1 / 6)
    assert scores["tool_call_valid"] == 0.5
    assert scores["tool_call_unasked"] == 0.0
    assert scores["memory_use"] is None and scores["soul_memory_confusion"] is None
    assert scores["distinct_1"] is not None and 0 < scores["distinct_1"] <= 1
    counted = metrics.counts(samples)
    assert (counted["addressing"], counted["tool_call_valid"], counted["think_well_formed"]) == (4, 2, 6)
    assert metrics.perplexity(0.0) == 1.0 and metrics.perplexity(None) is None


def test_wilson_interval() -> None:
    assert metrics.wilson(0.0, 0) == (0.0, 1.0)
    low, high = metrics.wilson(0.5, 40)
    assert (round(low, 3), round(high, 3)) == (0.352, 0.648)
    low, high = metrics.wilson(1.0, 8)
    assert high == 1.0 and round(low, 3) == 0.676


# --- the gate ---------------------------------------------------------------------------------------


def rates(value: float, **overrides: float | None) -> dict[str, float | None]:
    scores: dict[str, float | None] = {
        m.name: value if m.higher_is_better else 1 - value for m in metrics.METRICS
    }
    scores |= {"heldout_loss": 2.0, "heldout_ppl": 7.39}
    return scores | overrides


def judged(n: int, *models: str) -> dict[str, dict[str, int]]:
    return {model: {m.name: n for m in metrics.METRICS} for model in models}


ALL = judged(40, "base", "candidate", "active")
GATED_RATES = [m for m in metrics.METRICS if m.rate]


def test_gate_passes_a_candidate_shown_better_than_the_base() -> None:
    verdict = gate({"base": rates(0.2), "candidate": rates(0.8)}, GateConfig(), ALL)
    assert (verdict.passed, verdict.reasons) == (True, [])
    data = verdict.as_dict(GateConfig())
    assert data["rule"] == RULE and data["min_samples"] == 8 and data["confidence"] == "95% Wilson"


def test_gate_fails_a_candidate_that_does_not_beat_the_base() -> None:
    verdict = gate({"base": rates(0.5), "candidate": rates(0.5)}, GateConfig(), ALL)
    assert not verdict.passed
    assert [r.split(":")[0] for r in verdict.reasons] == ["addressing (all)", "reply language match"]
    assert "does not beat the base's 0.500 with confidence (interval 0.352-0.648 of 40)" in verdict.reasons[0]
    # A perfect score passes even when the base is perfect too.
    assert gate({"base": rates(1.0), "candidate": rates(1.0)}, GateConfig(), ALL).passed
    missing = rates(0.8, addressing=None)
    assert "not measured" in gate({"base": rates(0.2), "candidate": missing}, GateConfig(), ALL).reasons[0]


def test_one_flip_cannot_decide_the_gate() -> None:
    # 0.55 vs the base's 0.5 on 40 samples: two flips, inside the noise, so not shown better.
    assert not gate({"base": rates(0.5), "candidate": rates(0.55)}, GateConfig(), ALL).passed
    # Perfect on 4 samples shows nothing: too few to beat the base.
    few = gate({"base": rates(0.2), "candidate": rates(1.0)}, GateConfig(), judged(4, "base", "candidate"))
    assert not few.passed and "only 4 judged (< 8), too few to show it beats the base" in few.reasons[0]
    # Against the active Soul: one flip of 8 (0.125) is over the 0.05 allowance but not shown worse.
    pair = judged(8, "candidate", "active")
    verdict = gate({"candidate": rates(0.875), "active": rates(1.0)}, GateConfig(), pair)
    assert verdict.passed and len(verdict.undecided) == len(GATED_RATES)
    assert "within noise (interval" in verdict.undecided[0]
    small = gate(
        {"candidate": rates(0.0), "active": rates(1.0)}, GateConfig(), judged(3, "candidate", "active")
    )
    assert small.passed and "only 3 judged (< 8)" in small.undecided[0]


def test_gate_against_the_active_soul() -> None:
    active = rates(0.9)
    candidate = rates(0.9, language_match=0.6, heldout_ppl=8.5, tool_call_unasked=0.35)
    verdict = gate({"base": rates(0.1), "candidate": candidate, "active": active}, GateConfig(), ALL)
    assert not verdict.passed
    assert len(verdict.reasons) == 3
    assert verdict.reasons[0].startswith(
        "reply language match: 0.600 is 0.300 worse than the active Soul's 0.900 (allowed 0.050; interval"
    )
    assert verdict.reasons[1].startswith("tool call (not asked): 0.350 is 0.250 worse")  # lower is better
    assert "perplexity 8.50 is above 1.1 x the active Soul's 7.39" in verdict.reasons[2]
    lenient = GateConfig(max_drop={"language_match": 0.3}, max_perplexity_ratio=1.2)
    verdict = gate({"candidate": candidate, "active": active}, lenient, ALL)
    assert [r.split(":")[0] for r in verdict.reasons] == ["tool call (not asked)"]
    more = lenient.model_copy(update={"max_drop_vs_active": 0.3})
    assert gate({"candidate": candidate, "active": active}, more, ALL).passed


def test_gate_limits_and_config_files(tmp_path: Path) -> None:
    config = GateConfig(must_beat_base=[], limits={"think_well_formed": 0.9, "user_in_thinking": 0.05})
    verdict = gate({"candidate": rates(0.6)}, config, ALL)
    assert verdict.reasons == [
        "think tags well-formed: 0.600 is below the floor 0.9 (interval 0.446-0.737 of 40)",
        '"user" in thinking: 0.400 is above the ceiling 0.05 (interval 0.263-0.554 of 40)',
    ]
    assert gate({"candidate": rates(0.85, user_in_thinking=0.1)}, config, ALL).passed  # within noise
    few = gate({"candidate": rates(1.0)}, config, judged(5, "candidate"))
    assert "too few to check the limit 0.9" in few.reasons[0]
    path = tmp_path / "gate.yaml"
    path.write_text("max_perplexity_ratio: 1.5\nmin_samples: 20\nlimits:\n  think_well_formed: 0.9\n")
    loaded = load_gate(path)
    assert (loaded.max_perplexity_ratio, loaded.limits, loaded.max_drop_vs_active, loaded.min_samples) == (
        1.5,
        {"think_well_formed": 0.9},
        0.05,
        20,
    )
    assert load_gate(None) == GateConfig()
    path.write_text("limits:\n  charm: 1\n", encoding="utf-8")
    with pytest.raises(InputError, match="unknown metric"):
        load_gate(path)
    path.write_text("limits: [\n", encoding="utf-8")
    with pytest.raises(InputError, match="not valid YAML"):
        load_gate(path)


# --- probes and the held-out split, rendered as the runtime sends them --------------------------------


def test_bundled_probes_cover_languages_mixed_messages_tools_and_memory() -> None:
    probes = load_probes()
    for lang in ("zh", "ja", "en"):
        assert sum(1 for p in probes if p.lang == lang and p.category == "chat") >= 5
        assert sum(1 for p in probes if p.lang == lang and p.category == "memory") >= 3
        assert sum(1 for p in probes if p.lang == lang and p.category == "identity") >= 3
    for category in ("chat", "memory", "identity"):  # enough for the gate's 8-sample minimum
        assert sum(1 for p in probes if p.category == category) >= 8
    mixed = [p for p in probes if p.id.startswith("mixed")]
    assert len(mixed) >= 3
    for probe in probes:
        found = analyse_language(probe.say)
        assert found.dominant == probe.lang, probe.id
        assert (found.lang == "mixed") is probe.id.startswith("mixed"), probe.id
        memory = " ".join(m.text for m in probe.memories)
        assert all(term in memory for term in probe.must_mention[:1] + probe.not_her_own), probe.id
    assert {"memory_save", "memory_search", "memory_forget", "current_time"} <= {p.tool for p in probes}


def test_probes_go_through_the_runtimes_context_builder() -> None:
    probes = {p.id: p for p in load_probes()}
    setting = eval_setting("runtime")
    assert setting is not None
    chat, memory, context = probe_prompts(
        [probes["zh-tired"], probes["zh-mem-allergy"], probes["zh-budget-ctx"]], "runtime", setting
    )
    system = chat.messages[0]["content"]
    assert chat.messages[0]["role"] == "system" and system.startswith(SOUL_HEADER)
    assert TOOLS_HEADER in system and '{"tool": "NAME", "arguments": {...}}' in system
    assert chat.messages[-1]["content"].startswith(NOW_HEADER) and chat.messages[-1]["content"].endswith(
        probes["zh-tired"].say
    )
    assert "- (2025-03-02, fact) 老师对芒果过敏" in memory.messages[0]["content"].split(MEMORY_HEADER)[1]
    assert memory.must_mention == ("芒果",)
    assert [m["role"] for m in context.messages] == ["system", "user", "assistant", "user"]
    # The same path training renders: a probe is a one-turn conversation through turn_samples.
    bare = probe_prompts([probes["zh-mem-allergy"]], "none", None)[0]
    assert bare.messages == [{"role": "user", "content": probes["zh-mem-allergy"].say}]
    assert bare.must_mention == ()  # no memory section to use
    plain = eval_setting("runtime", persona=False, tools=False)
    assert plain is not None and plain.tools == [] and plain.persona == ""


def test_the_context_defaults_to_what_the_adapter_was_trained_with() -> None:
    assert choose_system("none", True, True, "runtime") == ("none", "--system")
    assert choose_system(None, False, False, "runtime")[0] == "none"  # the old flags for the bare chat
    assert choose_system(None, None, None, "none") == ("none", "the adapter's manifest (config.system)")
    assert choose_system(None, False, None, None)[0] == "runtime"


def test_bad_probe_files_are_input_errors(tmp_path: Path) -> None:
    path = tmp_path / "probes.yaml"
    path.write_text("probes:\n  - {id: a, lang: zh, say: 你好, tool: launch_rockets}\n", encoding="utf-8")
    with pytest.raises(InputError, match="unknown tool 'launch_rockets'"):
        load_probes(path)
    path.write_text("probes:\n  - {id: a, lang: zh, say: 你好, must_mention: [x]}\n", encoding="utf-8")
    with pytest.raises(InputError, match="give the probe memories"):
        load_probes(path)
    with pytest.raises(InputError, match="Cannot read"):
        load_probes(tmp_path / "missing.yaml")


def old_trl_row(conversation: Conversation) -> dict[str, Any]:
    """A row of the old trl export: a system turn, think blocks inline, ``<tool_call>`` blocks after text."""
    messages = [{"role": "system", "content": "SYSTEM"}]
    for m in conversation.messages:
        calls = [json.dumps({"name": c.name, "arguments": c.arguments}) for c in m.tool_calls or ()]
        blocks = "".join(f"\n<tool_call>\n{c}\n</tool_call>" for c in calls)
        messages.append({"role": m.role, "content": m.content + blocks})
    return {"id": conversation.id, "messages": messages}


def test_heldout_rounds_are_the_training_samples(tmp_path: Path, distinct: list[dict[str, Any]]) -> None:
    setting = eval_setting("runtime")
    conversations = read_heldout(write_jsonl(tmp_path / "heldout.jsonl", distinct[-2:]))  # en-2, zh-tool
    prompts = heldout_prompts(conversations, "runtime", setting)
    samples = [s for c in conversations for s in turn_samples(c, "runtime", setting)]
    assert [p.sample for p in prompts] == samples
    assert [(p.id, p.lang, p.expect_tool) for p in prompts] == [
        ("en-2#0.0", "en", None),
        ("en-2#2.0", "en", None),
        ("zh-tool#0.0", "zh", "memory_save"),
        ("zh-tool#0.1", "zh", None),
    ]
    assert prompts[3].messages[-1]["role"] == "tool"  # the reply after the tool result
    # Older trl rows convert: <tool_call> blocks become calls, the system prompt is dropped.
    rows = [old_trl_row(Conversation.model_validate(c)) for c in distinct[-2:]]
    old = read_heldout(write_jsonl(tmp_path / "trl.jsonl", rows))
    assert [p.id for p in heldout_prompts(old, "runtime", setting)] == [p.id for p in prompts]
    assert old[1].messages[1].tool_calls and old[1].messages[1].tool_calls[0].name == "memory_save"
    with pytest.raises(InputError, match=r"bad\.jsonl:2"):
        read_heldout(write_jsonl(tmp_path / "bad.jsonl", [distinct[0], "{not json"]))
    with pytest.raises(InputError, match="prompt/completion training row"):
        read_heldout(write_jsonl(tmp_path / "rows.jsonl", [{"id": "a", "prompt": "p", "completion": "c"}]))
    chosen, measured = plan(load_probes(), conversations, "none", None, limit=3)
    assert [p.id for p in chosen] == [
        "zh-tired",
        "zh-tool-save",
        "ja-morning",
        "en-2#0.0",
        "en-2#2.0",
        "zh-tool#0.0",
    ]
    assert len(measured) == 4  # every round of the conversations with a chosen round
