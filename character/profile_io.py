"""Profiles as plain data and YAML files, and a starter profile for a character known by name only.

Why: an imported character card becomes a profile file that :func:`character.load_profile` reads,
so the written YAML uses the same key names as ``kokoron.yaml`` (``register``, not
``style_register``) and parses back to an equal profile. Writes are atomic (temp file +
``os.replace``) so a crash never leaves half a profile behind, and an existing file is only replaced
when the caller says so.

A card (or any outside source) cannot say everything a profile holds, so
:func:`starter_profile_data` gives every section a neutral value, marked with :data:`DEFAULT_MARK`
where a person has to write something, and :data:`STARTER_NOTES` says which sections those are.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml

from .profile import BASE_LANGS, BigFive, Profile, _forbidden_hit

__all__ = [
    "DEFAULT_MARK",
    "STARTER_NOTES",
    "NotAFileError",
    "ProfileExistsError",
    "atomic_write_text",
    "dump_profile",
    "profile_data",
    "starter_profile_data",
    "usable_forbidden",
    "write_profile",
]

DEFAULT_MARK = "(default)"
"""Prefix of every placeholder a person should replace; search the written YAML for it."""

STARTER_NOTES = (
    "name: one name is used for name.en, name.ja and name.zh",
    "big_five: all five traits set to a neutral 50 (moderate)",
    "speech (register, self_reference, style_notes, verbal_habits) and prompt.speech: placeholders",
    "addressing: Koclaw's 老师 / 先生 / Sensei",
    "japanese_register, existence_cognition, boundaries, secretary: placeholders",
    "prompt.existence, prompt.boundaries, prompt.secretary, prompt.reply_rules: Koclaw's neutral defaults",
    "memory_tiers and prompt.memory: Koclaw's descriptions of the four tiers",
)
_LANG_NAMES = {"zh": "Chinese", "ja": "Japanese", "en": "English"}


class ProfileExistsError(FileExistsError):
    """The target file exists and overwriting was not asked for."""


class NotAFileError(OSError):
    """The target exists but is not a regular file (a link, a FIFO, a device, a folder): writing
    through it or replacing it would change something else than the file the user meant."""


_KINDS = (
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a folder"),
)


def _refuse_special(path: Path) -> None:
    """Raise :class:`NotAFileError` when `path` exists and is not a regular file (links not followed)."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if stat.S_ISREG(mode):
        return
    kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    raise NotAFileError(f"{path} is {kind}, not a regular file; it was left as it is. Choose another path.")


def profile_data(profile: Profile) -> dict[str, Any]:
    """The profile as plain JSON-able data with the YAML's key names."""
    data: dict[str, Any] = profile.model_dump(mode="json", by_alias=True)
    return data


class _Dumper(yaml.SafeDumper):
    """Safe YAML with multi-line text as ``|`` blocks, so long card text stays readable."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def dump_profile(profile: Profile, comments: Sequence[str] = ()) -> str:
    """Profile YAML text; each of `comments` becomes a ``#`` line at the top."""
    header = "".join(f"# {line}".rstrip() + "\n" for text in comments for line in text.splitlines())
    body = yaml.dump(profile_data(profile), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
    return header + ("\n" if header else "") + body


def write_profile(
    profile: Profile, path: Path, *, overwrite: bool = False, comments: Sequence[str] = ()
) -> None:
    """Write the profile as YAML, atomically. Raises :class:`ProfileExistsError` when `path` exists
    and `overwrite` is false (checked at the moment of the write, not only before)."""
    atomic_write_text(path, dump_profile(profile, comments), overwrite=overwrite)


def atomic_write_text(path: Path, text: str, *, overwrite: bool = True) -> None:
    """Write `text` (UTF-8) to `path` through a temp file in the same folder and ``os.replace``.

    Without `overwrite` the final step is a hard link, which fails if the name appeared meanwhile;
    where links are unsupported it falls back to an existence check just before the rename. An
    existing `path` that is not a regular file (a symlink, a FIFO, a device) is refused with
    :class:`NotAFileError`, never followed nor replaced.
    """
    path = Path(path)
    _refuse_special(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or Path("."))
    tmp = Path(tmp_name)
    try:
        os.fchmod(fd, 0o644)  # mkstemp's 0600 would hide a profile or card meant to be shared
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if overwrite:
            os.replace(tmp, path)
            return
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise ProfileExistsError(f"{path} already exists") from None
        except OSError:  # no hard links here (some network and FUSE file systems)
            if path.exists():
                raise ProfileExistsError(f"{path} already exists") from None
            os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def starter_profile_data(name: str, base: Profile) -> dict[str, Any]:
    """Plain profile data for a character known only by `name`: placeholders marked with
    :data:`DEFAULT_MARK`, plus `base`'s address terms, memory tiers and memory note (Koclaw's
    conventions, true for any character it runs). The caller fills in what it knows."""
    todo = f"{DEFAULT_MARK} not known yet; describe"
    line = f"{DEFAULT_MARK} add a line"
    trait = {
        "score": 50,
        "level": "moderate",
        "summary": f"{todo} this trait",
        "in_speech": [f"{todo} how this trait shows in {name}'s speech"],
    }
    selves = {"zh": "我", "ja": "私", "en": "I"}
    speech = {
        lang: {
            "register": f"{todo} {name}'s {_LANG_NAMES[lang]} register",
            "address_term": base.addressing.term(lang),
            "self_reference": selves[lang],
            "style_notes": [f"{todo} {name}'s {_LANG_NAMES[lang]} style"],
            "verbal_habits": [f"{todo} {name}'s {_LANG_NAMES[lang]} habits"],
            "example_lines": [{"context": DEFAULT_MARK, "line": f"{line} in {_LANG_NAMES[lang]}"}],
        }
        for lang in BASE_LANGS
    }
    a = base.addressing
    thinking = f"Even in private reasoning {name} thinks of the person as {a.en} ({a.zh} / {a.ja})."
    core = f"An AI playing {name}, who says so plainly when sincerely asked."
    tiers = [
        {**t.model_dump(include={"key", "name", "what", "where"}), "how_she_talks": todo, "example": line}
        for t in base.memory_tiers
    ]
    return {
        "schema_version": 1,
        "name": {"en": name, "ja": name, "zh": name, "meaning": ""},
        "role": f"{DEFAULT_MARK} {name}, from outside Koclaw",
        "big_five": {key: trait for key in BigFive.model_fields},
        "inspirations": [{"source": f"{DEFAULT_MARK} where {name} comes from", "traits_taken": [todo]}],
        "speech": speech,
        "addressing": {**base.addressing.model_dump(), "in_thinking": thinking, "names": ""},
        "japanese_register": {
            "default": "polite",
            "rules": [f"{todo} when {name} is polite or casual in Japanese"],
            "casual_triggers": [f"{todo} what makes {name} casual"],
            "examples": [{"situation": DEFAULT_MARK, "polite": f"{DEFAULT_MARK} よろしくお願いします。"}],
        },
        "existence_cognition": {
            "core": core,
            "statements": [core],
            "example_lines": {lang: line for lang in BASE_LANGS},
        },
        "boundaries": [{"topic": DEFAULT_MARK, "stance": f"{todo} what {name} declines", "example": line}],
        "memory_tiers": tiers,
        "secretary": [{"duty": DEFAULT_MARK, "how": f"{todo} what {name} helps with"}],
        "prompt": {
            "identity": f"You are {name}.",
            "soul_note": "This text is a reminder of who you are; stay true to it.",
            "personality": [f"Stay true to {name} as described above."],
            "speech": {
                lang: f"{_LANG_NAMES[lang]}: speak as {name} does in the example." for lang in BASE_LANGS
            },
            "speech_examples": {lang: f"{DEFAULT_MARK} no example yet" for lang in BASE_LANGS},
            "existence": [core],
            "memory": base.prompt.memory,
            "secretary": "Help with whatever you are asked, within the boundaries below.",
            "boundaries": [
                "Decline harm, crime, deception and explicit content briefly and in character; "
                "offer a legitimate alternative.",
                "In a crisis drop the act, ask if they are safe, and point to real help.",
            ],
            "reply_rules": {
                "zh": "reply in Chinese",
                "ja": "reply in Japanese",
                "en": "reply in English",
                "mixed": "mirror their mix of languages, leaning on the language they mostly used",
            },
        },
    }


def usable_forbidden(data: dict[str, Any], terms: Sequence[str]) -> tuple[list[str], list[str]]:
    """Split forbidden address `terms` into those the data never uses (kept) and those it does
    (dropped): a profile may not contain its own forbidden terms outside ``addressing``."""
    texts = list(_texts(data))
    kept = [t for t in terms if not any(_forbidden_hit(text, (t,)) for text in texts)]
    return kept, [t for t in terms if t not in kept]


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key != "addressing":
                yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)
