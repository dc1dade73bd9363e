"""`koclaw finetune eval`: each metric on hand-written replies, the gate's reasons, and a real run of the
tiny base against tiny LoRA adapters through the installed command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch", reason="training extra not installed")
pytest.importorskip("peft", reason="training extra not installed")

from character import analyse_language  # noqa: E402
from finetune import metrics  # noqa: E402
from finetune.evaluate import (  # noqa: E402
    EvalSettings,
    heldout_prompts,
    load_probes,
    plan,
    probe_prompts,
    read_heldout,
)
from finetune.metrics import GateConfig, Sample, gate, load_gate  # noqa: E402
from koclaw.errors import InputError  # noqa: E402
from tests.conftest import run_koclaw  # noqa: E402
from tests.finetune.conftest import write_jsonl  # noqa: E402

SAVE_JSON = (
    '<tool_call>\n{"name": "memory_save", "arguments": {"fact": "对芒果过敏", "importance": 4}}\n</tool_call>'
)
SAVE_XML = (
    "<tool_call>\n<function=memory_save>\n<parameter=fact>\nallergic to mango\n</parameter>\n"
    "<parameter=importance>\n4\n</parameter>\n</function>\n</tool_call>"
)


# --- one reply --------------------------------------------------------------------------------------


def test_think_tags_must_close_once_and_never_reopen() -> None:
    good = "老师饿了，推荐拉面。\n</think>\n\n老师，去吃拉面吧！"
    assert metrics.think_well_formed(good)
    assert metrics.split_output(good) == ("老师饿了，推荐拉面。", "老师，去吃拉面吧！")
    assert metrics.split_output("\n</think>\n\nHi Sensei!") == ("", "Hi Sensei!")
    unclosed = "还在想还在想"
    assert not metrics.think_well_formed(unclosed)
    assert metrics.split_output(unclosed) == ("还在想还在想", "")
    assert not metrics.think_well_formed("a\n</think>\nb\n</think>\nc")
    assert not metrics.think_well_formed("<think>\nagain\n</think>\n\n老师好")


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
        (f"老师，记下来了。\n{SAVE_JSON}", "zh", True),  # the tool block is not part of the reply
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
    assert metrics.language_matches(f"Saved it, Sensei.\n{SAVE_JSON}", "en")


def test_user_in_thinking() -> None:
    assert metrics.says_user_in_thinking("The user wants ramen.")
    assert metrics.says_user_in_thinking("用户想吃拉面。")
    assert metrics.says_user_in_thinking("ユーザーは疲れている。")
    assert not metrics.says_user_in_thinking("Sensei wants ramen; 老师饿了。")
    assert not metrics.says_user_in_thinking(None)


@pytest.mark.parametrize(
    ("visible", "problem"),
    [
        (SAVE_JSON, None),
        (SAVE_XML, None),
        ('{"tool": "memory_save", "arguments": {"fact": "vegetarian now"}}', None),  # prompt style
        (f"好的老师！\n{SAVE_JSON}", None),
        ("好的老师，我记住了！", "no tool call"),
        ('<tool_call>\n{"name": "memory_save", "arguments": {fact}}\n</tool_call>', "not valid JSON"),
        ('<tool_call>\n{"name": "memory_search", "arguments": {"query": "x"}}\n</tool_call>', "called"),
        (
            '<tool_call>\n{"name": "memory_save", "arguments": {"fact": "x", "importance": 9}}\n</tool_call>',
            "importance",
        ),
        ('<tool_call>\n{"name": "memory_save", "arguments": {}}\n</tool_call>', "fact"),
        ('<tool_call>\n{"name": "memory_save", "arguments": {"fact": "x"}}', "unclosed"),
    ],
)
def test_tool_call_validity(visible: str, problem: str | None) -> None:
    found = metrics.tool_call_problem(visible, "memory_save")
    assert found is None if problem is None else problem in (found or "")


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
        Sample("tool", "probe", "zh", f"存下来。\n</think>\n\n{SAVE_JSON}", expect_tool="memory_save"),
        Sample("bad-tool", "probe", "en", "hm\n</think>\n\nSure, Sensei!", expect_tool="current_time"),
    ]
    scores = metrics.score(samples)
    assert scores["addressing"] == pytest.approx(1 / 3)
    assert (scores["addressing_zh"], scores["addressing_ja"], scores["addressing_en"]) == (1.0, 0.0, 0.0)
    assert scores["language_match"] == pytest.approx(1 / 3)
    assert scores["think_well_formed"] == pytest.approx(4 / 5)
    assert scores["user_in_thinking"] == pytest.approx(1 / 5)
    assert scores["tool_call_valid"] == 0.5
    assert scores["tool_call_unasked"] == 0.0
    assert scores["distinct_1"] is not None and 0 < scores["distinct_1"] <= 1
    assert metrics.perplexity(0.0) == 1.0 and metrics.perplexity(None) is None


# --- the gate ---------------------------------------------------------------------------------------


def rates(value: float, **overrides: float | None) -> dict[str, float | None]:
    scores: dict[str, float | None] = {
        m.name: value if m.higher_is_better else 1 - value for m in metrics.METRICS
    }
    scores |= {"heldout_loss": 2.0, "heldout_ppl": 7.39}
    return scores | overrides


def test_gate_passes_a_candidate_better_than_the_base() -> None:
    assert gate({"base": rates(0.2), "candidate": rates(0.8)}, GateConfig()) == (True, [])


def test_gate_fails_a_candidate_that_does_not_beat_the_base() -> None:
    passed, reasons = gate({"base": rates(0.5), "candidate": rates(0.5)}, GateConfig())
    assert not passed
    assert [r.split(":")[0] for r in reasons] == ["addressing (all)", "reply language match"]
    assert "does not beat the base's 0.500" in reasons[0]
    # A perfect score passes even when the base is perfect too.
    assert gate({"base": rates(1.0), "candidate": rates(1.0)}, GateConfig())[0]
    missing = rates(0.8, addressing=None)
    assert "not measured" in gate({"base": rates(0.2), "candidate": missing}, GateConfig())[1][0]


def test_gate_against_the_active_soul() -> None:
    active = rates(0.9)
    candidate = rates(0.9, language_match=0.8, heldout_ppl=8.5, tool_call_unasked=0.2)
    passed, reasons = gate({"base": rates(0.1), "candidate": candidate, "active": active}, GateConfig())
    assert not passed
    assert len(reasons) == 3
    assert reasons[0].startswith("reply language match: 0.800 is 0.100 worse than the active Soul's 0.900")
    assert reasons[1].startswith("tool call (not asked): 0.200 is 0.100 worse")  # lower is better
    assert "perplexity 8.50 is above 1.1 x the active Soul's 7.39" in reasons[2]
    lenient = GateConfig(max_drop={"language_match": 0.2}, max_drop_vs_active=0.01, max_perplexity_ratio=1.2)
    assert gate({"candidate": candidate, "active": active}, lenient) == (
        False,
        [reasons[1].replace("(allowed 0.050)", "(allowed 0.010)")],
    )
    assert gate(
        {"candidate": candidate, "active": active}, lenient.model_copy(update={"max_drop_vs_active": 0.1})
    )[0]


def test_gate_limits_and_config_files(tmp_path: Path) -> None:
    config = GateConfig(must_beat_base=[], limits={"think_well_formed": 0.9, "user_in_thinking": 0.05})
    passed, reasons = gate({"candidate": rates(0.8)}, config)
    assert not passed
    assert reasons == [
        "think tags well-formed: 0.800 is below the floor 0.9",
        '"user" in thinking: 0.200 is above the ceiling 0.05',
    ]
    path = tmp_path / "gate.yaml"
    path.write_text("max_perplexity_ratio: 1.5\nlimits:\n  think_well_formed: 0.9\n", encoding="utf-8")
    loaded = load_gate(path)
    assert (loaded.max_perplexity_ratio, loaded.limits, loaded.max_drop_vs_active) == (
        1.5,
        {"think_well_formed": 0.9},
        0.05,
    )
    assert load_gate(None) == GateConfig()
    path.write_text("limits:\n  charm: 1\n", encoding="utf-8")
    with pytest.raises(InputError, match="unknown metric"):
        load_gate(path)
    path.write_text("limits: [\n", encoding="utf-8")
    with pytest.raises(InputError, match="not valid YAML"):
        load_gate(path)


# --- probes and the held-out split --------------------------------------------------------------------


def test_bundled_probes_cover_three_languages_mixed_messages_and_tools() -> None:
    probes = load_probes()
    for lang in ("zh", "ja", "en"):
        assert sum(1 for p in probes if p.lang == lang and not p.id.startswith("mixed")) >= 8
    mixed = [p for p in probes if p.id.startswith("mixed")]
    assert len(mixed) >= 3
    for probe in probes:
        found = analyse_language(probe.say)
        assert found.dominant == probe.lang, probe.id
        assert (found.lang == "mixed") is probe.id.startswith("mixed"), probe.id
    assert {"memory_save", "memory_search", "memory_forget", "current_time"} <= {p.tool for p in probes}
    assert any(p.context for p in probes)
    prompts = probe_prompts(probes, "SYSTEM")
    context = next(p for p in prompts if p.id == "zh-budget-ctx")
    assert [m["role"] for m in context.messages] == ["system", "user", "assistant", "user"]


def test_the_system_prompt_is_the_persona_and_the_runtimes_tools_section() -> None:
    from finetune.evaluate import system_prompt

    full = system_prompt(persona=True, tools=True) or ""
    assert "老师" in full and "# Tools" in full
    assert all(
        f"- {name}:" in full for name in ("memory_save", "memory_search", "memory_forget", "current_time")
    )
    assert "# Tools" not in (system_prompt(persona=True, tools=False) or "")
    assert system_prompt(persona=False, tools=False) is None


def test_bad_probe_files_are_input_errors(tmp_path: Path) -> None:
    path = tmp_path / "probes.yaml"
    path.write_text("probes:\n  - {id: a, lang: zh, say: 你好, tool: launch_rockets}\n", encoding="utf-8")
    with pytest.raises(InputError, match="unknown tool 'launch_rockets'"):
        load_probes(path)
    with pytest.raises(InputError, match="Cannot read"):
        load_probes(tmp_path / "missing.yaml")


def test_heldout_turns_know_their_language_and_expected_tool(
    tmp_path: Path, distinct: list[dict[str, Any]]
) -> None:
    from finetune.export import trl_row
    from finetune.schema import Conversation

    rows = [trl_row(Conversation.model_validate(c), "SYSTEM") for c in distinct[-2:]]  # en-2, zh-tool
    conversations = read_heldout(write_jsonl(tmp_path / "heldout.jsonl", rows))
    prompts = heldout_prompts(conversations)
    assert [(p.id, p.lang, p.expect_tool) for p in prompts] == [
        ("en-2#1", "en", None),
        ("en-2#3", "en", None),
        ("zh-tool#1", "zh", "memory_save"),
    ]
    assert prompts[1].messages[-1]["role"] == "user" and len(prompts[1].messages) == 4
    # Conversation-format files work too; a broken line is an InputError naming it.
    assert (
        read_heldout(write_jsonl(tmp_path / "conv.jsonl", distinct[:1]), "SYS")[0][1][0]["content"] == "SYS"
    )
    with pytest.raises(InputError, match=r"bad\.jsonl:2"):
        read_heldout(write_jsonl(tmp_path / "bad.jsonl", [rows[0], "{not json"]))
    chosen, measured = plan(load_probes(), conversations, EvalSettings(limit=2, persona=False, tools=False))
    assert [p.id for p in chosen] == ["zh-tired", "zh-lunch", "en-2#1", "en-2#3"]
    assert [c[0] for c in measured] == ["en-2"]


# --- the command, end to end on the tiny model ----------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from finetune.tiny import ensure_tiny

    return ensure_tiny(tmp_path_factory.mktemp("models") / "tiny-kokoron")


def make_adapter(base: Path, out: Path, seed: int) -> Path:
    """A LoRA adapter with random B (init_lora_weights=False), so its replies differ from the base's."""
    from peft import LoraConfig, get_peft_model

    from finetune.hf import load_base

    model = load_base(str(base), dtype="fp32", device="cpu")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        config = LoraConfig(
            r=4, lora_alpha=32, target_modules=["q_proj", "v_proj", "down_proj"], init_lora_weights=False
        )
        get_peft_model(model, config).save_pretrained(str(out))
    (out / "manifest.json").write_text(json.dumps({"base_model": str(base)}), encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def adapters(tiny_base: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("adapters")
    return make_adapter(tiny_base, root / "candidate", 1), make_adapter(tiny_base, root / "active", 2)


@pytest.mark.slow
def test_eval_compares_base_candidate_and_active_soul(
    adapters: tuple[Path, Path], koclaw_home: Path, tmp_path: Path, distinct: list[dict[str, Any]]
) -> None:
    from memory.soul import SoulRegistry

    candidate, active = adapters
    registry = SoulRegistry(koclaw_home / "soul.db")
    registry.register("kokoron-v1", active)
    registry.record_activation("kokoron-v1", "test")
    registry.close()
    heldout = write_jsonl(tmp_path / "heldout.jsonl", [distinct[-1], distinct[-2]])  # zh-tool, en-2
    proc = run_koclaw(
        "finetune", "eval", str(candidate), "--heldout", str(heldout), "--limit", "2",
        "--max-new-tokens", "8", "--no-persona", "--no-tools", "--json",
        "--report", str(tmp_path / "report.json"), timeout=180,
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr
    data = json.loads(proc.stdout)
    assert data == json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert data["models"] == {"base": "base", "candidate": "candidate", "active": "active kokoron-v1"}
    assert set(data["scores"]) == {"base", "candidate", "active"}
    assert set(data["deltas"]) == {"candidate-base", "candidate-active"}
    for scores in data["scores"].values():
        assert set(scores) == {m.name for m in metrics.METRICS}
        assert scores["heldout_loss"] > 0 and scores["heldout_ppl"] > 1
    assert data["scores"]["base"]["heldout_loss"] != data["scores"]["candidate"]["heldout_loss"]
    assert data["settings"]["max_new_tokens"] == 8
    samples = data["samples"]
    assert [s["id"] for s in samples["base"]] == ["zh-tired", "zh-lunch", "zh-tool#0", "en-2#0"]
    assert [s["expect_tool"] for s in samples["base"]] == [None, None, "memory_save", None]
    outputs = {key: [s["output"] for s in rows] for key, rows in samples.items()}
    assert outputs["base"] != outputs["candidate"] != outputs["active"]
    assert data["gate"]["passed"] is (proc.returncode == 0)
    assert data["gate"]["passed"] or data["gate"]["reasons"]
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_eval_table_and_a_passing_gate(adapters: tuple[Path, Path], tmp_path: Path) -> None:
    lenient = tmp_path / "gate.yaml"
    lenient.write_text("must_beat_base: []\n", encoding="utf-8")
    proc = run_koclaw(
        "finetune", "eval", str(adapters[0]), "--limit", "1", "--max-new-tokens", "2", "--gate", str(lenient),
        "--no-persona", "--no-tools", timeout=180,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "addressing zh 老师" in proc.stdout and "Δ vs base" in proc.stdout
    assert "Gate: PASSED" in proc.stdout
    assert "no Soul registry yet" in proc.stdout


@pytest.mark.slow
def test_corrupt_adapters_exit_2_with_a_clear_message(adapters: tuple[Path, Path], tmp_path: Path) -> None:
    import shutil

    broken_config = Path(shutil.copytree(adapters[0], tmp_path / "broken-config"))
    (broken_config / "adapter_config.json").write_text("{not json", encoding="utf-8")
    proc = run_koclaw("finetune", "eval", str(broken_config))
    assert proc.returncode == 2
    assert "adapter_config.json is corrupt" in proc.stderr and "Traceback" not in proc.stderr

    broken_weights = Path(shutil.copytree(adapters[0], tmp_path / "broken-weights"))
    (broken_weights / "adapter_model.safetensors").write_bytes(b"garbage")
    proc = run_koclaw("finetune", "eval", str(broken_weights), "--limit", "1", "--no-tools", timeout=180)
    assert proc.returncode == 2
    assert "Cannot load the adapter(s)" in proc.stderr and "Traceback" not in proc.stderr

    proc = run_koclaw("finetune", "eval", str(tmp_path / "nowhere"))
    assert proc.returncode == 2 and "is not a folder" in proc.stderr
