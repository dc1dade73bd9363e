"""Character Card V2 import and export (character/card.py, character/profile_io.py, `koclaw character`)."""

from __future__ import annotations

import base64
import io
import json
import re
import struct
import tracemalloc
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from character import clear_profile_cache, load_profile, render_persona
from character.card import (
    MAX_CARD_TEXT,
    CardError,
    card_to_profile,
    parse_card,
    png_text_chunks,
    profile_to_card,
    read_card,
    write_card,
)
from character.profile import Profile, _forbidden_hit
from character.profile_io import DEFAULT_MARK, ProfileExistsError, dump_profile, write_profile
from tests.conftest import run_koclaw

V2_DATA_FIELDS = {
    "name",
    "description",
    "personality",
    "scenario",
    "first_mes",
    "mes_example",
    "creator_notes",
    "system_prompt",
    "post_history_instructions",
    "alternate_greetings",
    "tags",
    "creator",
    "character_version",
    "extensions",
}

FOREIGN_V2: dict[str, Any] = {
    "spec": "chara_card_v2",
    "spec_version": "2.0",
    "avatar": "none",  # unknown top-level keys are tolerated, as SillyTavern does
    "data": {
        "name": "Aria",
        "description": "{{char}} is a cheerful wandering bard who travels with {{user}}.\n\nShe sings.",
        "personality": "cheerful, curious\nbrave to a fault",
        "scenario": "A tavern at dusk, the evening before a long journey.",
        "first_mes": "*tunes her lute* Well met, {{user}}! Ready for the road?",
        "mes_example": (
            "<START>\n{{user}}: Hi\n{{char}}: Hello there!\n*She waves.*\n"
            "<START>\n{{user}}: 你好\n<BOT>: 你好呀，{{user}}！"
        ),
        "creator_notes": "A test card.",
        "system_prompt": "{{original}} Write vivid, short replies.",
        "post_history_instructions": "",
        "alternate_greetings": ["こんにちは、{{user}}さん！旅の準備はできましたか？"],
        "character_book": {
            "entries": [
                {
                    "keys": ["lute"],
                    "content": "Her lute is old.",
                    "extensions": {},
                    "enabled": True,
                    "insertion_order": 1,
                }
            ],
            "extensions": {},
        },
        "tags": ["bard", "fantasy"],
        "creator": "someone",
        "character_version": "1.0",
        "extensions": {"talkativeness": "0.5", "depth_prompt": {"prompt": "", "depth": 4}},
    },
}

FOREIGN_V1: dict[str, Any] = {
    "name": "Bram",
    "description": "Bram is a grumpy lighthouse keeper.",
    "personality": "gruff but kind",
    "scenario": "",
    "first_mes": "Storm's coming, {{user}}. Shut the door.",
    "mes_example": "",
    "creatorcomment": "old card",
    "talkativeness": "0.4",
}


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _text(keyword: str, card: Any, kind: bytes = b"tEXt") -> bytes:
    payload = base64.b64encode(json.dumps(card, ensure_ascii=False).encode("utf-8"))
    if kind == b"tEXt":
        return _chunk(kind, keyword.encode() + b"\0" + payload)
    if kind == b"zTXt":
        return _chunk(kind, keyword.encode() + b"\0\0" + zlib.compress(payload))
    return _chunk(kind, keyword.encode() + b"\0\1\0\0\0" + zlib.compress(payload))  # compressed iTXt


def make_png(*chunks: bytes) -> bytes:
    """A valid 1x1 grayscale PNG carrying `chunks` before its image data."""
    header = _chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    image = _chunk(b"IDAT", zlib.compress(b"\x00\x80"))  # filter byte + one grey pixel
    return b"\x89PNG\r\n\x1a\n" + header + b"".join(chunks) + image + _chunk(b"IEND", b"")


@pytest.fixture
def kokoron_card() -> dict[str, Any]:
    return profile_to_card(load_profile())


# --- export --------------------------------------------------------------------------------------


def test_export_has_every_v2_field(kokoron_card: dict[str, Any]) -> None:
    assert kokoron_card["spec"] == "chara_card_v2" and kokoron_card["spec_version"] == "2.0"
    data = kokoron_card["data"]
    assert set(data) == V2_DATA_FIELDS  # character_book is optional and Kokoron has none
    for key in V2_DATA_FIELDS - {"alternate_greetings", "tags", "extensions"}:
        assert isinstance(data[key], str) and data[key].strip(), key
    assert data["creator"] == "Koclaw" and data["name"] == "Kokoron"
    assert data["system_prompt"] == render_persona(load_profile())
    assert re.fullmatch(r"1\.[0-9a-f]{8}", data["character_version"])
    assert "Sensei" in data["first_mes"]
    assert [("老师" in g, "先生" in g) for g in data["alternate_greetings"]] == [(True, False), (False, True)]
    assert "Big Five" in data["personality"] and "Extraversion 75 (high)" in data["personality"]
    for part in ("ココロン", "Hayase Yuuka", "Kaguya-hime", "doesn't depend on the vessel", "working memory"):
        assert part in data["description"], part
    assert "Koclaw" in data["tags"] and all(isinstance(t, str) for t in data["tags"])
    ours = data["extensions"]["koclaw"]
    assert ours["format"] == 1 and ours["profile"]["speech"]["en"]["register"]  # YAML key names
    assert json.loads(json.dumps(kokoron_card)) == kokoron_card


def test_mes_example_is_sillytavern_form_from_seeds(kokoron_card: dict[str, Any]) -> None:
    example = kokoron_card["data"]["mes_example"]
    blocks = example.split("<START>\n")
    assert blocks[0] == "" and len(blocks) >= 4
    for block in blocks[1:]:
        lines = block.strip().split("\n")
        assert lines[0].startswith("{{user}}: ") and lines[1].startswith("{{char}}: ")
        assert all(line.startswith(("{{user}}: ", "{{char}}: ")) for line in lines)
    assert "<think>" not in example and "</think>" not in example and "tool" not in example
    assert any(ord(c) > 0x3040 for c in example)  # the Chinese and Japanese seeds are there


def test_export_never_calls_sensei_user(kokoron_card: dict[str, Any]) -> None:
    forbidden = load_profile().addressing.forbidden
    data = kokoron_card["data"]
    for key in V2_DATA_FIELDS - {"system_prompt", "extensions"}:
        values = data[key] if isinstance(data[key], list) else [data[key]]
        for value in values:
            text = value.replace("{{user}}", "")  # SillyTavern's macro for the speaker's name
            assert _forbidden_hit(text, forbidden) is None, (key, value)
    # The persona names the forbidden terms once, to forbid them; nowhere else.
    persona = re.sub(r"Never call them [^.]*\.", "", data["system_prompt"])
    assert _forbidden_hit(persona, forbidden) is None


# --- round trips ---------------------------------------------------------------------------------


def test_koclaw_card_round_trips_through_json(tmp_path: Path, kokoron_card: dict[str, Any]) -> None:
    path = tmp_path / "kokoron.json"
    write_card(kokoron_card, path)
    assert json.loads(path.read_text(encoding="utf-8")) == kokoron_card
    assert [p.name for p in tmp_path.iterdir()] == ["kokoron.json"]  # no temp file left behind
    profile, notes = card_to_profile(read_card(path))
    assert profile == load_profile() and notes == []


@pytest.mark.parametrize("kind", [b"tEXt", b"iTXt", b"zTXt"])
def test_koclaw_card_round_trips_through_png(
    tmp_path: Path, kokoron_card: dict[str, Any], kind: bytes
) -> None:
    png = make_png(_chunk(b"tEXt", b"Software\0test"), _text("chara", kokoron_card, kind))
    path = tmp_path / "kokoron.png"
    path.write_bytes(png)
    profile, notes = card_to_profile(read_card(path))
    assert profile == load_profile() and notes == []


def test_test_png_is_a_real_png(kokoron_card: dict[str, Any]) -> None:
    image_module = pytest.importorskip("PIL.Image")
    png = make_png(_text("chara", kokoron_card))
    with image_module.open(io.BytesIO(png)) as image:
        image.load()
        assert image.size == (1, 1)
        assert json.loads(base64.b64decode(image.text["chara"])) == kokoron_card
    assert set(png_text_chunks(png)) == {"chara"}


def test_png_prefers_ccv3_over_chara(tmp_path: Path) -> None:
    v3 = {"spec": "chara_card_v3", "spec_version": "3.0", "data": {**FOREIGN_V2["data"], "name": "Aria3"}}
    path = tmp_path / "both.png"
    path.write_bytes(make_png(_text("chara", FOREIGN_V2), _text("ccv3", v3)))
    card = read_card(path)
    assert card.data.name == "Aria3"
    assert any("V3 card" in note for note in card_to_profile(card)[1])


def test_edited_koclaw_card_says_the_profile_won(kokoron_card: dict[str, Any]) -> None:
    kokoron_card["data"]["scenario"] = "Rewritten in another app."
    profile, notes = card_to_profile(kokoron_card)
    assert profile == load_profile()
    assert len(notes) == 1 and "scenario" in notes[0] and "extensions.koclaw" in notes[0]


# --- foreign cards -------------------------------------------------------------------------------


def _reload(profile: Profile, tmp_path: Path) -> Profile:
    path = tmp_path / "imported.yaml"
    write_profile(profile, path, comments=["imported for a test"])
    clear_profile_cache()
    return load_profile(path)


def test_foreign_v2_card_imports_into_a_loadable_profile(tmp_path: Path) -> None:
    source = tmp_path / "aria.json"
    source.write_text(json.dumps(FOREIGN_V2, ensure_ascii=False), encoding="utf-8")
    card = read_card(source)
    assert card.model_extra == {"avatar": "none"}  # tolerated and kept
    assert card.data.character_book is not None and card.data.character_book.entries[0].keys == ["lute"]
    profile, notes = card_to_profile(card)
    assert _reload(profile, tmp_path) == profile

    assert (profile.name.en, profile.name.ja, profile.name.zh) == ("Aria", "Aria", "Aria")
    assert profile.role == "Aria is a cheerful wandering bard who travels with Sensei."
    assert "She sings." in profile.prompt.identity and "tavern at dusk" in profile.prompt.identity
    assert profile.prompt.personality == ("cheerful, curious", "brave to a fault")
    assert profile.prompt.soul_note == "Write vivid, short replies."
    en = [(x.context, x.line) for x in profile.speech.en.example_lines]
    assert en[0] == ("greeting (first_mes)", "*tunes her lute* Well met, Sensei! Ready for the road?")
    assert ("example dialogue 1", "Hello there!\n*She waves.*") in en
    assert [x.line for x in profile.speech.zh.example_lines] == ["你好呀，老师！"]
    assert [x.line for x in profile.speech.ja.example_lines] == ["こんにちは、先生！旅の準備はできましたか？"]
    assert profile.big_five.scores() == dict.fromkeys(profile.big_five.scores(), 50)
    assert profile.big_five.openness.summary.startswith(DEFAULT_MARK)
    assert "Aria" in render_persona(profile)

    text = "\n".join(notes)
    for section in (
        "big_five",
        "japanese_register",
        "existence_cognition",
        "memory_tiers",
        "secretary",
        "addressing",
    ):
        assert section in text, section
    assert "not kept" in text and "character_book" in text and "extensions.depth_prompt" in text
    assert "mes_example" in text


def test_foreign_v1_card_is_upgraded_and_imported(tmp_path: Path) -> None:
    card = parse_card(FOREIGN_V1)
    assert card.spec == "chara_card_v2" and card.data.creator_notes == "old card"
    assert card.model_extra == {"talkativeness": "0.4"}
    profile, notes = card_to_profile(FOREIGN_V1)
    assert _reload(profile, tmp_path) == profile
    assert profile.role == "Bram is a grumpy lighthouse keeper."
    assert profile.speech.en.example_lines[0].line == "Storm's coming, Sensei. Shut the door."
    assert any("V1 card" in note for note in notes)
    assert any(note.startswith("speech.zh.example_lines") for note in notes)
    assert any(note.startswith("speech.ja.example_lines") for note in notes)
    assert "(default)" in dump_profile(profile)


def test_foreign_card_that_says_user_keeps_a_valid_profile(tmp_path: Path) -> None:
    card = {"name": "Cid", "description": "Cid answers every user question with a riddle."}
    profile, notes = card_to_profile(card)
    assert "user" not in profile.addressing.forbidden and "用户" in profile.addressing.forbidden
    assert any("left out user" in note for note in notes)
    assert _reload(profile, tmp_path) == profile


def test_foreign_profile_exports_its_own_greetings() -> None:
    profile, _ = card_to_profile(FOREIGN_V2)
    data = profile_to_card(profile)["data"]
    assert data["first_mes"].startswith("*tunes her lute*")
    assert data["alternate_greetings"] == ["こんにちは、先生！旅の準備はできましたか？"]
    assert "secretary" not in data["tags"] and "{{char}}: Hello there!" in data["mes_example"]
    assert card_to_profile(profile_to_card(profile)) == (profile, [])


# --- bad input -----------------------------------------------------------------------------------


def _koclaw_with(fmt: object, profile: object) -> dict[str, Any]:
    card = profile_to_card(load_profile())
    card["data"]["extensions"]["koclaw"] = {"format": fmt, "profile": profile}
    return card


BAD_JSON = [
    ("not-json.json", b"{ name: nope", "not JSON"),
    ("latin1.json", b"\xff\xfe\x00bad", "not JSON"),
    ("list.json", b"[1, 2]", "not a character card"),
    ("empty-object.json", b"{}", "not a character card"),
    (
        "no-name.json",
        json.dumps({"spec": "chara_card_v2", "data": {"description": "x"}}).encode(),
        "missing name",
    ),
    ("blank-name.json", json.dumps({"name": "  ", "description": "x"}).encode(), "missing name"),
    (
        "no-data.json",
        json.dumps({"spec": "chara_card_v2", "spec_version": "2.0"}).encode(),
        "'data' is missing",
    ),
    (
        "spec.json",
        json.dumps({"spec": "chara_card_v9", "data": {"name": "x"}}).encode(),
        "unsupported card spec",
    ),
    (
        "types.json",
        json.dumps({"spec": "chara_card_v2", "data": {"name": "x", "description": 5}}).encode(),
        "data.description",
    ),
    ("format.json", json.dumps(_koclaw_with(2, {})).encode(), "format 2"),
    (
        "broken.json",
        json.dumps(_koclaw_with(1, {"schema_version": 1})).encode(),
        "extensions.koclaw.profile.name",
    ),
]


@pytest.mark.parametrize(("name", "content", "problem"), BAD_JSON, ids=[b[0] for b in BAD_JSON])
def test_bad_json_cards_give_a_clear_error(tmp_path: Path, name: str, content: bytes, problem: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(CardError) as caught:
        card_to_profile(read_card(path), str(path))
    assert isinstance(caught.value, ValueError)
    assert str(caught.value).startswith(f"{path}: ") and problem in str(caught.value)


def _bad_pngs() -> list[tuple[str, bytes, str]]:
    good = make_png(_text("chara", FOREIGN_V2))
    not_base64 = make_png(_chunk(b"tEXt", b"chara\0!!!not base64!!!"))
    not_json = make_png(_chunk(b"tEXt", b"chara\0" + base64.b64encode(b"hello")))
    crc = bytearray(good)
    crc[40] ^= 0xFF  # a byte inside the chara chunk
    return [
        ("no-card.png", make_png(_chunk(b"tEXt", b"Comment\0just a picture")), "without a character card"),
        ("base64.png", not_base64, "not valid base64"),
        ("json.png", not_json, "not JSON"),
        ("cut.png", good[:60], "cut short"),
        ("crc.png", bytes(crc), "damaged"),
        ("fake.png", b"GIF89a not a png", "not a PNG"),
    ]


@pytest.mark.parametrize(("name", "content", "problem"), _bad_pngs(), ids=[b[0] for b in _bad_pngs()])
def test_bad_png_cards_give_a_clear_error(tmp_path: Path, name: str, content: bytes, problem: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(CardError, match=re.escape(problem)) as caught:
        read_card(path)
    assert str(caught.value).startswith(f"{path}: ")


def test_missing_file_and_png_output_are_clear(tmp_path: Path) -> None:
    with pytest.raises(CardError, match="cannot read the file"):
        read_card(tmp_path / "nowhere.json")
    with pytest.raises(CardError, match="written as JSON"):
        write_card(profile_to_card(load_profile()), tmp_path / "card.png")


def test_write_profile_never_overwrites_unless_asked(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("keep me", encoding="utf-8")
    with pytest.raises(ProfileExistsError):
        write_profile(load_profile(), path)
    assert path.read_text(encoding="utf-8") == "keep me"
    write_profile(load_profile(), path, overwrite=True)
    clear_profile_cache()
    assert load_profile(path) == load_profile()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.yaml"]


# --- the command ---------------------------------------------------------------------------------


def test_cli_export_to_stdout_and_file(tmp_path: Path) -> None:
    out = run_koclaw("character", "export-card")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == profile_to_card(load_profile())
    target = tmp_path / "kokoron.json"
    out = run_koclaw("character", "export-card", "-o", str(target))
    assert out.returncode == 0, out.stderr
    assert (
        str(target) in out.stdout
        and json.loads(target.read_text(encoding="utf-8"))["data"]["name"] == "Kokoron"
    )


def test_cli_import_never_overwrites_without_force(tmp_path: Path) -> None:
    card = tmp_path / "kokoron.png"
    card.write_bytes(make_png(_text("chara", profile_to_card(load_profile()))))
    target = tmp_path / "kokoron.yaml"
    out = run_koclaw("character", "import-card", str(card), "-o", str(target))
    assert out.returncode == 0, out.stderr
    assert "exactly" in out.stdout
    clear_profile_cache()
    assert load_profile(target) == load_profile()

    target.write_text("mine", encoding="utf-8")
    out = run_koclaw("character", "import-card", str(card), "-o", str(target))
    assert out.returncode == 2 and "already exists" in out.stderr and "--force" in out.stderr
    assert target.read_text(encoding="utf-8") == "mine"
    out = run_koclaw("character", "import-card", str(card), "-o", str(target), "--force")
    assert out.returncode == 0, out.stderr
    assert target.read_text(encoding="utf-8") != "mine"


def test_cli_import_foreign_card_prints_notes(tmp_path: Path) -> None:
    card, target = tmp_path / "aria.json", tmp_path / "aria.yaml"
    card.write_text(json.dumps(FOREIGN_V2), encoding="utf-8")
    out = run_koclaw("character", "import-card", str(card), "-o", str(target))
    assert out.returncode == 0, out.stderr
    assert "Imported Aria" in out.stdout and "big_five" in out.stdout and "  - " in out.stdout
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# Imported from the character card aria.json") and "# - big_five" in text
    clear_profile_cache()
    assert load_profile(target) == card_to_profile(FOREIGN_V2)[0]
    out = run_koclaw("character", "export-card", "--profile", str(target))
    assert out.returncode == 0 and json.loads(out.stdout)["data"]["name"] == "Aria"


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["import-card", "{bad}", "-o", "{out}"], "not JSON"),
        (["import-card", "{missing}", "-o", "{out}"], "cannot read the file"),
        (["export-card", "--profile", "{bad}"], "not valid YAML"),
    ],
)
def test_cli_errors_are_clear_and_traceback_free(tmp_path: Path, args: list[str], problem: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{ oops: [", encoding="utf-8")
    paths = {"bad": str(bad), "missing": str(tmp_path / "missing.json"), "out": str(tmp_path / "o.yaml")}
    out = run_koclaw("character", *(arg.format(**paths) for arg in args))
    assert out.returncode == 2
    assert out.stderr.startswith("Error: ") and problem in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "o.yaml").exists()


# --- zip bombs -----------------------------------------------------------------------------------

BOMB_BYTES = 400 * 2**20  # what the bomb's text chunk inflates to; the PNG itself is about 400 KB
BOUNDED = 3 * MAX_CARD_TEXT  # peak Python allocation allowed while reading a bomb


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """400 MB of zeros, deflated (streamed, so building it never holds the 400 MB)."""
    packer, zeros = zlib.compressobj(9), bytes(2**20)
    parts = [packer.compress(zeros) for _ in range(BOMB_BYTES // len(zeros))]
    return b"".join([*parts, packer.flush()])


def _ztxt(keyword: str, deflated: bytes) -> bytes:
    return _chunk(b"zTXt", keyword.encode() + b"\0\0" + deflated)


def _itxt(keyword: str, deflated: bytes) -> bytes:
    return _chunk(b"iTXt", keyword.encode() + b"\0\1\0\0\0" + deflated)


def _peak_bytes(work: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        work()
    except CardError:
        pass
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


@pytest.mark.parametrize("chunk", [_ztxt, _itxt], ids=["zTXt", "iTXt"])
def test_card_chunk_zip_bomb_is_refused_within_the_cap(
    tmp_path: Path, bomb: bytes, chunk: Callable[[str, bytes], bytes]
) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(make_png(chunk("chara", bomb)))
    assert path.stat().st_size < 1_000_000
    with pytest.raises(CardError, match="unpacks to more than 8 MB") as caught:
        read_card(path)
    assert str(caught.value).startswith(f"{path}: ") and "as JSON" in str(caught.value)
    assert _peak_bytes(lambda: read_card(path)) < BOUNDED


def test_other_compressed_chunks_are_skipped_not_inflated(tmp_path: Path, bomb: bytes) -> None:
    path = tmp_path / "picture.png"
    path.write_bytes(
        make_png(_ztxt("Comment", bomb), _itxt("XML:com.adobe.xmp", bomb), _text("chara", FOREIGN_V2))
    )
    assert read_card(path).data.name == "Aria"
    assert _peak_bytes(lambda: read_card(path)) < BOUNDED
    assert set(png_text_chunks(path.read_bytes())) == {"chara"}


def test_compressed_card_under_the_cap_still_reads(tmp_path: Path) -> None:
    path = tmp_path / "z.png"
    path.write_bytes(make_png(_text("ccv3", FOREIGN_V2, b"iTXt"), _text("chara", FOREIGN_V2, b"zTXt")))
    assert read_card(path).data.name == "Aria"
    cut = make_png(_ztxt("chara", zlib.compress(b"x" * 1000)[:-6]))
    with pytest.raises(CardError, match="unreadable"):
        png_text_chunks(cut)


def test_cli_refuses_a_zip_bomb_card(tmp_path: Path, bomb: bytes) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(make_png(_ztxt("chara", bomb)))
    out = run_koclaw("character", "import-card", str(path), "-o", str(tmp_path / "o.yaml"))
    assert out.returncode == 2 and "unpacks to more than 8 MB" in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "o.yaml").exists()


def test_cli_refuses_a_deeply_nested_json_card(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    out = run_koclaw("character", "import-card", str(path), "-o", str(tmp_path / "o.yaml"))
    assert out.returncode == 2 and "nested too deeply" in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "o.yaml").exists()
