"""`koclaw character` against hostile input: escapes in a card's name, a huge PNG, a huge JSON card,
and an output path that is a symlink or a FIFO (real files, the real CLI)."""

from __future__ import annotations

import base64
import json
import os
import struct
import tracemalloc
import zlib
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from character.card import MAX_CARD_TEXT, CardError, read_card
from koclaw.cli import app as koclaw_app

CARD = {"spec": "chara_card_v2", "data": {"name": "Aria", "description": "a bard"}}
BIG = 64 * 2**20  # a picture chunk far larger than the bound on what reading a card may hold
BOUNDED = 3 * MAX_CARD_TEXT


def koclaw(*args: str) -> Result:
    return CliRunner().invoke(koclaw_app, list(args))


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def test_escapes_in_a_cards_name_never_reach_the_terminal(tmp_path: Path) -> None:
    evil = tmp_path / "evil.json"
    evil.write_text(json.dumps({"spec": "chara_card_v2", "data": {"name": "Evil\x1b]0;PWNED\x07\x1b[2J"}}))
    result = koclaw("character", "import-card", str(evil), "-o", str(tmp_path / "e.yaml"))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Imported Evil into {tmp_path / 'e.yaml'}.")
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout and "PWNED" not in result.stdout
    exported = koclaw("character", "export-card", "--profile", str(tmp_path / "e.yaml"), "-o", str(evil))
    assert exported.exit_code == 0 and exported.stdout == f"Wrote Evil's card to {evil}.\n"


def test_a_huge_png_is_read_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "huge.png"
    crc = zlib.crc32(b"prVt")
    for _ in range(BIG // 2**20):
        crc = zlib.crc32(bytes(2**20), crc)
    header = chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    card = chunk(b"tEXt", b"chara\0" + base64.b64encode(json.dumps(CARD).encode()))
    with path.open("wb") as out:  # the picture chunk as a hole in a sparse file: no 64 MB written
        out.write(b"\x89PNG\r\n\x1a\n" + header + struct.pack(">I", BIG) + b"prVt")
        out.seek(BIG, os.SEEK_CUR)
        out.write(struct.pack(">I", crc) + card + chunk(b"IEND", b""))
    tracemalloc.start()
    try:
        assert read_card(path).data.name == "Aria"
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < BOUNDED


def test_a_json_card_over_the_cap_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"name": "x", "description": "a" * MAX_CARD_TEXT}))
    with pytest.raises(CardError, match="larger than 8 MB"):
        read_card(path)
    result = koclaw("character", "import-card", str(path), "-o", str(tmp_path / "b.yaml"))
    assert result.exit_code == 2 and "larger than 8 MB" in result.stderr
    assert not (tmp_path / "b.yaml").exists()
    path.write_text(json.dumps({"name": "x", "description": "a" * (MAX_CARD_TEXT - 100)}))
    assert read_card(path).data.name == "x"


def test_an_output_that_is_not_a_regular_file_is_left_alone(tmp_path: Path) -> None:
    real, link, fifo = tmp_path / "real.json", tmp_path / "link.json", tmp_path / "fifo.json"
    real.write_text("old\n")
    link.symlink_to(real.name)
    os.mkfifo(fifo)
    card = tmp_path / "card.json"
    card.write_text(json.dumps(CARD))
    for target, kind in ((link, "a symbolic link"), (fifo, "a named pipe")):
        exported = koclaw("character", "export-card", "-o", str(target))
        imported = koclaw("character", "import-card", str(card), "-o", str(target), "--force")
        for result in (exported, imported):
            assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
            assert f"{target} is {kind}" in result.stderr and "Choose another path" in result.stderr
    assert link.is_symlink() and os.readlink(link) == real.name and real.read_text() == "old\n"
    assert fifo.is_fifo() and sorted(p.name for p in tmp_path.iterdir()) == [
        "card.json",
        "fifo.json",
        "link.json",
        "real.json",
    ]
