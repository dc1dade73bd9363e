"""The tiny Kokoron: a real Qwen3.5 model and tokenizer built offline, what the training tests run on."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch", reason="training extra not installed")
pytest.importorskip("transformers", reason="training extra not installed")

from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: E402

from finetune.builtin import load_into  # noqa: E402
from finetune.tiny import (  # noqa: E402
    SPECIAL_TOKENS,
    TINY_NAME,
    WHAT_TRAINED,
    build_tiny_model,
    build_tokenizer,
    corpus_texts,
    default_path,
    ensure_tiny,
)

SYSTEM = {"role": "system", "content": "You are Kokoron."}
USER = {"role": "user", "content": "老师今天想吃什么？"}
THINKING = "<think>\n老师饿了，推荐拉面。\n</think>\n\n那就去吃拉面吧，老师！"
PROMPT = "<|im_start|>system\nYou are Kokoron.<|im_end|>\n<|im_start|>user\n老师今天想吃什么？<|im_end|>\n"


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return corpus_texts()


@pytest.fixture(scope="module")
def tokenizer(texts: list[str]) -> Any:
    return build_tokenizer(texts)


@pytest.fixture(scope="module")
def model(tokenizer: Any) -> Any:
    return build_tiny_model(tokenizer)


def logits(model: Any, tokenizer: Any, text: str) -> Any:
    with torch.no_grad():
        return model(**tokenizer(text, return_tensors="pt")).logits


def test_special_tokens_are_single_ids(tokenizer: Any) -> None:
    ids = [tokenizer.encode(token, add_special_tokens=False) for token in SPECIAL_TOKENS]
    assert all(len(i) == 1 for i in ids)
    assert len({i[0] for i in ids}) == len(SPECIAL_TOKENS)
    assert [tokenizer.decode(i) for i in ids] == list(SPECIAL_TOKENS)
    assert (tokenizer.eos_token, tokenizer.pad_token) == ("<|im_end|>", "<|endoftext|>")
    # ChatML markers are dropped when skipping special tokens; think and tool markup is kept for the runtime.
    text = "<|im_start|>assistant\n<think>\nhm\n</think>\n\n<tool_call>\n{}\n</tool_call><|im_end|>"
    plain = tokenizer.decode(tokenizer.encode(text), skip_special_tokens=True)
    assert plain == "assistant\n<think>\nhm\n</think>\n\n<tool_call>\n{}\n</tool_call>"


@pytest.mark.parametrize(
    "sentence",
    [
        "老师，明天早上八点的会议我已经帮你记下来了，记得早点睡觉哦。",
        "先生、明日の予定を確認しましたので、今夜は早めに休んでくださいね。",
        "Sensei, I moved your dentist appointment to Friday afternoon.",
    ],
)
def test_trilingual_text_gets_real_merges(tokenizer: Any, sentence: str) -> None:
    ids = tokenizer.encode(sentence, add_special_tokens=False)
    assert len(ids) < len(sentence.encode("utf-8")) / 2
    assert tokenizer.decode(ids) == sentence


def test_generation_prompt_with_thinking_on_and_off(tokenizer: Any) -> None:
    on = tokenizer.apply_chat_template([SYSTEM, USER], tokenize=False, add_generation_prompt=True)
    off = tokenizer.apply_chat_template(
        [SYSTEM, USER], tokenize=False, add_generation_prompt=True, enable_thinking=False
    )
    assert on == PROMPT + "<|im_start|>assistant\n<think>\n"
    assert off == PROMPT + "<|im_start|>assistant\n<think>\n\n</think>\n\n"


def test_assistant_turns_are_kept_verbatim_with_their_thinking(tokenizer: Any) -> None:
    messages = [SYSTEM, USER, {"role": "assistant", "content": THINKING}, {"role": "user", "content": "好！"}]
    text = tokenizer.apply_chat_template(messages, tokenize=False)
    # Qwen's own template drops thinking before the last user turn; the Soul tier keeps it in every turn.
    assert text == PROMPT + f"<|im_start|>assistant\n{THINKING}<|im_end|>\n<|im_start|>user\n好！<|im_end|>\n"


def test_generation_markers_mask_exactly_the_assistant_turns(tokenizer: Any) -> None:
    replies = [THINKING, "Of course, Sensei. 八点见！"]
    messages = [
        SYSTEM,
        USER,
        {"role": "assistant", "content": replies[0]},
        {"role": "user", "content": "And tomorrow?"},
        {"role": "assistant", "content": replies[1]},
    ]
    out = tokenizer.apply_chat_template(messages, return_assistant_tokens_mask=True, return_dict=True)
    spans: list[list[int]] = []
    for i, (token, masked) in enumerate(zip(out["input_ids"], out["assistant_masks"], strict=True)):
        if masked:
            if not spans or not out["assistant_masks"][i - 1]:
                spans.append([])
            spans[-1].append(token)
    assert [tokenizer.decode(span) for span in spans] == [r + "<|im_end|>" for r in replies]


def test_tool_calls_and_results_render_the_qwen_way(tokenizer: Any) -> None:
    call = {"name": "memory_save", "arguments": {"fact": "喜欢拉面", "importance": 4, "tags": ["food"]}}
    messages = [
        USER,
        {
            "role": "assistant",
            "content": "<think>\n存下来。\n</think>\n\n",
            "tool_calls": [{"type": "function", "function": call}],
        },
        {"role": "tool", "name": "memory_save", "content": '{"saved": "f1"}'},
        {"role": "tool", "name": "current_time", "content": "12:00"},
        {"role": "assistant", "content": "记好啦！"},
    ]
    text = tokenizer.apply_chat_template(messages, tokenize=False)
    assert text == (
        "<|im_start|>user\n老师今天想吃什么？<|im_end|>\n"
        "<|im_start|>assistant\n<think>\n存下来。\n</think>\n\n<tool_call>\n<function=memory_save>\n"
        "<parameter=fact>\n喜欢拉面\n</parameter>\n<parameter=importance>\n4\n</parameter>\n"
        '<parameter=tags>\n["food"]\n</parameter>\n</function>\n</tool_call><|im_end|>\n'
        '<|im_start|>user\n<tool_response>\n{"saved": "f1"}\n</tool_response>\n'
        "<tool_response>\n12:00\n</tool_response><|im_end|>\n"
        "<|im_start|>assistant\n记好啦！<|im_end|>\n"
    )
    with_tools = tokenizer.apply_chat_template(
        [SYSTEM, USER], tools=[{"name": "current_time"}], tokenize=False
    )
    assert with_tools.startswith("<|im_start|>system\n# Tools\n")
    assert '\n<tools>\n{"name": "current_time"}\n</tools>\n' in with_tools
    assert with_tools.endswith("You are Kokoron.<|im_end|>\n" + PROMPT.split("<|im_end|>\n", 1)[1])


def test_template_renders_every_exported_round(tokenizer: Any) -> None:
    """The trainer renders each exported sample's messages with this template (tool rounds included): each
    must render, ending in the generation prompt its thinking asks for."""
    from character.conversation import load_seeds
    from finetune.export import trl_row
    from finetune.render import TurnSample, samples_of

    seeds = load_seeds()
    chosen = [seeds[0], seeds[-1], *(s for s in seeds if any(m.tool_calls for m in s.messages))]
    for sample in samples_of(chosen, "none"):
        prompt = TurnSample(**trl_row(sample)).prompt(tokenizer)
        opened = "<|im_start|>assistant\n<think>\n"
        assert prompt.endswith(opened if sample.thinking else f"{opened}\n</think>\n\n"), sample.id
        assert all(m["content"] in prompt for m in sample.messages), sample.id


def test_model_is_a_small_qwen3_5_that_runs_offline(model: Any, tokenizer: Any) -> None:
    config = model.config
    assert (config.model_type, type(model).__name__) == ("qwen3_5_text", "Qwen3_5ForCausalLM")
    assert config.layer_types == ["linear_attention", "full_attention"] * 2
    assert config.vocab_size == len(tokenizer)
    assert model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr()
    prompt = tokenizer.apply_chat_template(
        [USER], add_generation_prompt=True, return_dict=True, return_tensors="pt"
    )
    assert logits(model, tokenizer, "老师好").shape[-1] == len(tokenizer)
    with torch.no_grad():
        out = model.generate(**prompt, max_new_tokens=4, min_new_tokens=4)
    assert out.shape[1] == prompt["input_ids"].shape[1] + 4


def test_building_is_deterministic(texts: list[str], tokenizer: Any, model: Any) -> None:
    again = build_tokenizer(texts)
    assert again.backend_tokenizer.to_str() == tokenizer.backend_tokenizer.to_str()
    same, other = build_tiny_model(again), build_tiny_model(again, seed=1)
    for name, weight in model.state_dict().items():
        assert torch.equal(weight, same.state_dict()[name]), name
    assert not torch.equal(model.lm_head.weight, other.lm_head.weight)


def test_ensure_tiny_builds_once_and_reloads_identically(tmp_path: Path, model: Any, tokenizer: Any) -> None:
    target = tmp_path / "models" / TINY_NAME
    target.mkdir(parents=True)
    (target / "config.json").write_text("{}")  # an interrupted build: no manifest
    said: list[str] = []
    assert ensure_tiny(target, progress=said.append) == target
    assert said and "tiny Kokoron" in said[0]
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["what"] == WHAT_TRAINED and manifest["trained"]["steps"] > 0  # the shipped weights
    assert manifest["vocab_size"] == len(tokenizer)
    assert manifest["layer_types"] == model.config.layer_types
    assert sorted(p.name for p in target.parent.iterdir()) == [TINY_NAME]  # no temp dir left behind

    said.clear()
    weights = (target / "model.safetensors").stat().st_mtime_ns
    assert ensure_tiny(target, progress=said.append) == target
    assert said == [] and (target / "model.safetensors").stat().st_mtime_ns == weights

    reloaded_tokenizer = AutoTokenizer.from_pretrained(target)
    reloaded = AutoModelForCausalLM.from_pretrained(target)
    text = "先生、おはようございます！<think>"
    assert reloaded_tokenizer.encode(text) == tokenizer.encode(text)
    assert reloaded_tokenizer.chat_template == tokenizer.chat_template
    shipped = build_tiny_model(tokenizer)
    assert load_into(shipped, tokenizer) is not None
    assert torch.equal(logits(reloaded, reloaded_tokenizer, text), logits(shipped, tokenizer, text))


def test_default_path_is_under_koclaw_home(koclaw_home: Path) -> None:
    assert default_path() == koclaw_home / "models" / TINY_NAME


def test_importing_the_module_pulls_in_no_training_stack() -> None:
    code = (
        "import sys, finetune.tiny; "
        "print(','.join(m for m in ('torch', 'transformers', 'tokenizers') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
