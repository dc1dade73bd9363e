"""Reading a character card out of a PNG: its tEXt/zTXt/iTXt chunks, in bounded memory.

Kept apart from :mod:`character.card` (what a card means) because a PNG is hostile input of its
own: pictures of hundreds of MB, chunks that inflate a thousandfold, cut or damaged files.
"""

from __future__ import annotations

import base64
import binascii
import io
import struct
import zlib
from collections.abc import Collection, Mapping
from typing import BinaryIO

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CARD_CHUNKS = ("ccv3", "chara")  # V3 spec: prefer ccv3 when both are present
MAX_CARD_TEXT = 8 * 2**20  # bytes of a card chunk's text; real cards, lorebooks included, are far smaller


class CardError(ValueError):
    """A file or value is not a usable character card. The message names the source and the problem."""

    def __init__(self, source: str, problem: str) -> None:
        self.source, self.problem = source, problem
        super().__init__(f"{source}: {problem}")


def png_text_chunks(
    png: bytes | BinaryIO, source: str = "<png>", keywords: Collection[str] | None = CARD_CHUNKS
) -> dict[str, str]:
    """The PNG's tEXt/zTXt/iTXt chunks named in `keywords` (all if None) as ``{keyword (lower case): text}``.

    `png` is the file's bytes or an open binary file at its start. The first chunk of a keyword wins.
    Other chunks are only checksummed, a block at a time: a picture can be hundreds of MB and a
    compressed chunk can inflate a thousandfold (a zip bomb), so only the card's own chunks are kept
    and inflated, and only up to :data:`MAX_CARD_TEXT`.
    """
    handle = io.BytesIO(png) if isinstance(png, bytes) else png
    if handle.read(len(PNG_SIGNATURE)) != PNG_SIGNATURE:
        raise CardError(source, "not a PNG file (the PNG signature is missing)")
    return text_chunks(handle, source, keywords)


def text_chunks(handle: BinaryIO, source: str, keywords: Collection[str] | None) -> dict[str, str]:
    """:func:`png_text_chunks` from just after the signature."""
    wanted = None if keywords is None else {key.lower() for key in keywords}
    found: dict[str, str] = {}
    while header := handle.read(8):
        if len(header) < 8:
            raise CardError(source, "the PNG is cut short (a chunk header is incomplete)")
        length, kind = struct.unpack(">I4s", header)
        name = kind.decode("latin-1")
        head = b""
        if kind in (b"tEXt", b"zTXt", b"iTXt"):
            head = _read_exactly(handle, min(length, _KEYWORD_BYTES), source, name)
            key = head.partition(b"\0")[0].decode("latin-1").lower()
            if key not in found and (wanted is None or key in wanted):
                if length > MAX_CARD_TEXT + _KEYWORD_BYTES + 2**16:  # headers and deflate's overhead
                    raise _too_big(key, source)
                body = head + _read_exactly(handle, length - len(head), source, name)
                _check_crc(handle, zlib.crc32(kind + body), source, name)
                found[key] = _text_chunk(kind, body, source)
                continue
        crc = zlib.crc32(kind + head)
        for left in range(length - len(head), 0, -_BLOCK):  # the rest, never held whole
            crc = zlib.crc32(_read_exactly(handle, min(left, _BLOCK), source, name), crc)
        _check_crc(handle, crc, source, name)
        if kind == b"IEND":
            break
    return found


_KEYWORD_BYTES = 80  # a PNG keyword is 1-79 bytes, then a NUL
_BLOCK = 2**20


def _read_exactly(handle: BinaryIO, size: int, source: str, name: str) -> bytes:
    data = handle.read(size)
    if len(data) < size:
        raise CardError(source, f"the PNG is cut short (the {name} chunk is incomplete)")
    return data


def _check_crc(handle: BinaryIO, crc: int, source: str, name: str) -> None:
    if struct.unpack(">I", _read_exactly(handle, 4, source, name))[0] != crc:
        raise CardError(source, f"the PNG is damaged (bad checksum on a {name} chunk)")


def _text_chunk(kind: bytes, body: bytes, source: str) -> str:
    keyword, _, rest = body.partition(b"\0")
    name = keyword.decode("latin-1")
    try:
        if kind == b"tEXt":
            return _capped(rest, name, source).decode("latin-1")
        if kind == b"zTXt":
            return _inflate(rest[1:], name, source).decode("latin-1")
        compressed, rest = rest[:1] == b"\1", rest[2:]  # iTXt: flag, method, language, translated, text
        text = rest.split(b"\0", 2)[-1]
        return (_inflate(text, name, source) if compressed else _capped(text, name, source)).decode("utf-8")
    except (zlib.error, UnicodeDecodeError) as exc:
        raise CardError(source, f"the PNG's {name!r} text chunk is unreadable: {exc}") from None


def _inflate(data: bytes, name: str, source: str) -> bytes:
    """Decompress at most one byte past the cap, so a bomb costs :data:`MAX_CARD_TEXT`, not gigabytes."""
    inflater = zlib.decompressobj()
    text = _capped(inflater.decompress(data, MAX_CARD_TEXT + 1), name, source)
    if not inflater.eof:
        raise zlib.error("incomplete or truncated stream")
    return text


def _capped(text: bytes, name: str, source: str) -> bytes:
    if len(text) > MAX_CARD_TEXT:
        raise _too_big(name, source)
    return text


def _too_big(name: str, source: str) -> CardError:
    return CardError(
        source,
        f"the PNG's {name!r} chunk unpacks to more than {MAX_CARD_TEXT // 2**20} MB, far more than any "
        "character card; it is not imported. If the card is genuine, export it from its app as JSON "
        "and import that.",
    )


def card_text(chunks: Mapping[str, str], source: str) -> str:
    keys = [key for key in CARD_CHUNKS if key in chunks]
    if not keys:
        raise CardError(source, "a PNG without a character card: it has no 'chara' or 'ccv3' text chunk")
    errors: list[CardError] = []
    for key in keys:
        packed = "".join(chunks[key].split())
        try:
            payload = base64.b64decode(packed + "=" * (-len(packed) % 4), validate=True)
            return payload.decode("utf-8")
        except (binascii.Error, ValueError):
            errors.append(CardError(source, f"the PNG's {key!r} chunk is not valid base64 UTF-8 JSON"))
    raise errors[0]
