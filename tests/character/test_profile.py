"""The profile YAML and its loader (character/profile.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from character import Profile, ProfileError, clear_profile_cache, load_profile, parse_profile
from character.profile import BUNDLED_PROFILE

BUNDLED = Path(__file__).resolve().parents[2] / "character" / BUNDLED_PROFILE


@pytest.fixture
def raw() -> dict:  # type: ignore[type-arg]
    """The bundled profile as plain data, to be broken by each test."""
    data = yaml.safe_load(BUNDLED.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_bundled_profile_loads_and_validates() -> None:
    profile = load_profile()
    assert isinstance(profile, Profile)
    assert profile.name.en == "Kokoron"


def test_load_profile_is_cached_and_hashable() -> None:
    assert load_profile() is load_profile()
    assert hash(load_profile()) == hash(load_profile())
    clear_profile_cache()
    fresh = load_profile()
    assert fresh == load_profile()


def test_explicit_path_loads_the_same_profile() -> None:
    assert load_profile(BUNDLED) == load_profile()


def test_big_five_scores() -> None:
    assert load_profile().big_five.scores() == {
        "extraversion": 75,
        "agreeableness": 85,
        "conscientiousness": 80,
        "neuroticism": 30,
        "openness": 85,
    }


def test_every_trait_says_how_it_shows_in_speech() -> None:
    for name, trait in load_profile().big_five:
        assert len(trait.in_speech) >= 3, name


@pytest.mark.parametrize(("lang", "term"), [("zh", "老师"), ("ja", "先生"), ("en", "Sensei")])
def test_address_terms(lang: str, term: str) -> None:
    profile = load_profile()
    assert profile.addressing.term(lang) == term  # type: ignore[arg-type]
    speech = profile.speech.for_lang(lang)  # type: ignore[arg-type]
    assert speech.address_term == term
    assert any(term in example.line for example in speech.example_lines)


def test_forbidden_terms_are_listed() -> None:
    forbidden = set(load_profile().addressing.forbidden)
    assert {"user", "用户", "ユーザー", "使用者"} <= forbidden


def test_inspirations() -> None:
    sources = " ".join(i.source for i in load_profile().inspirations)
    assert "Yuuka" in sources
    assert "Kaguya" in sources


def test_japanese_register_has_polite_default_and_casual_examples() -> None:
    register = load_profile().japanese_register
    assert register.default == "polite"
    assert any(
        ex.polite.rstrip("。！？…").endswith(("です", "ます", "ですか", "ました", "ございます"))
        for ex in register.examples
    )
    casual = [ex.casual for ex in register.examples if ex.casual]
    assert casual
    assert not any("です" in line or "ます" in line for line in casual)


def test_memory_tiers_in_order() -> None:
    assert [t.key for t in load_profile().memory_tiers] == ["soul", "long_term", "session", "working"]


def test_existence_cognition() -> None:
    existence = load_profile().existence_cognition
    assert "vessel" in existence.core
    assert any("blueprint" in s for s in existence.statements)
    assert any("AI" in s for s in existence.statements)


def test_example_lines_are_in_their_language() -> None:
    from character import detect_language

    speech = load_profile().speech
    for lang in ("zh", "ja", "en"):
        for example in speech.for_lang(lang).example_lines:
            assert detect_language(example.line) == lang, (lang, example.line)


# --- errors --------------------------------------------------------------------------------------


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name:\n  en: Kokoron\n  ja: [unclosed\n", encoding="utf-8")
    with pytest.raises(ProfileError, match=r"bad\.yaml: not valid YAML at line \d+, column \d+") as info:
        load_profile(path)
    assert isinstance(info.value, ValueError)
    assert info.value.path == str(path)


def test_out_of_range_score_names_the_field(tmp_path: Path, raw: dict) -> None:  # type: ignore[type-arg]
    raw["big_five"]["openness"]["score"] = 150
    path = _write(tmp_path, raw)
    with pytest.raises(ValueError, match=r"broken\.yaml: big_five\.openness\.score: .*100.*got 150") as info:
        load_profile(path)
    assert isinstance(info.value, ProfileError)
    assert info.value.field == "big_five.openness.score"


def test_missing_field_names_the_field(tmp_path: Path, raw: dict) -> None:  # type: ignore[type-arg]
    del raw["addressing"]["ja"]
    with pytest.raises(ProfileError, match=r"broken\.yaml: addressing\.ja: Field required"):
        load_profile(_write(tmp_path, raw))


def test_unknown_key_is_rejected(tmp_path: Path, raw: dict) -> None:  # type: ignore[type-arg]
    raw["big_five"]["openess"] = raw["big_five"]["openness"]  # a typo
    with pytest.raises(ProfileError, match=r"big_five\.openess: Extra inputs are not permitted"):
        load_profile(_write(tmp_path, raw))


def test_mismatched_address_term_is_rejected(tmp_path: Path, raw: dict) -> None:  # type: ignore[type-arg]
    raw["speech"]["zh"]["address_term"] = "主人"
    with pytest.raises(
        ProfileError, match=r"speech\.zh\.address_term is '主人' but addressing\.zh is '老师'"
    ):
        load_profile(_write(tmp_path, raw))


@pytest.mark.parametrize(
    ("where", "line", "term"),
    [
        ("en", "Got it, user! Your meeting is at ten.", "user"),
        ("zh", "收到，用户！明天十点开会。", "用户"),
        ("ja", "ユーザーさん、了解です！", "ユーザー"),
    ],
)
def test_forbidden_term_in_an_example_is_rejected(
    tmp_path: Path,
    raw: dict,  # type: ignore[type-arg]
    where: str,
    line: str,
    term: str,
) -> None:
    raw["speech"][where]["example_lines"][0]["line"] = line
    with pytest.raises(
        ProfileError,
        match=rf"speech\.{where}\.example_lines\[0\]\.line uses the forbidden address term '{term}'",
    ):
        load_profile(_write(tmp_path, raw))


def test_forbidden_english_term_matches_whole_words_only(raw: dict) -> None:  # type: ignore[type-arg]
    raw["speech"]["en"]["example_lines"][0]["line"] = "Your username is saved, Sensei."
    assert (
        parse_profile(yaml.safe_dump(raw, allow_unicode=True))
        .speech.en.example_lines[0]
        .line.startswith("Your")
    )


def test_memory_tiers_must_be_complete(tmp_path: Path, raw: dict) -> None:  # type: ignore[type-arg]
    raw["memory_tiers"] = raw["memory_tiers"][:3]
    with pytest.raises(ProfileError, match=r"memory_tiers must be exactly .*'working'.* got"):
        load_profile(_write(tmp_path, raw))


def test_prompt_must_state_the_existence_core(tmp_path: Path, raw: dict) -> None:  # type: ignore[type-arg]
    raw["prompt"]["existence"] = ["You are an AI."]
    with pytest.raises(ProfileError, match=r"prompt\.existence must state existence_cognition\.core"):
        load_profile(_write(tmp_path, raw))


@pytest.mark.parametrize(("text", "kind"), [("", "empty"), ("- a\n- b\n", "a list"), ("just text", "a str")])
def test_top_level_must_be_a_mapping(text: str, kind: str) -> None:
    with pytest.raises(ProfileError, match=rf"<string>: the top level must be a mapping.*is {kind}"):
        parse_profile(text)


def test_missing_file_is_a_profile_error(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match=r"nope\.yaml: cannot read the profile file"):
        load_profile(tmp_path / "nope.yaml")


def test_bundled_markdown_exists_and_matches_the_data() -> None:
    text = (BUNDLED.parent / "CHARACTER_PROFILE.md").read_text(encoding="utf-8")
    profile = load_profile()
    for _, trait in profile.big_five:
        assert str(trait.score) in text
    for term in ("老师", "先生", "Sensei"):
        assert term in text
    assert profile.existence_cognition.core in text
