"""The event-stream reader's repairs, without a server (the agent tests drive it over HTTP)."""

from __future__ import annotations

import json

from koclaw.llm.sse import repair, repair_text


def test_lone_surrogates_become_replacement_characters_and_pairs_stay() -> None:
    decoded = json.loads('{"a": ["x\\ud800y", {"\\udfffk": "\\ud83d\\ude00"}], "n": 3}')
    assert repair(decoded) == {"a": ["x\ufffdy", {"\ufffdk": "\U0001f600"}], "n": 3}
    assert repair_text("plain 老师") == "plain 老师"
    repair_text("\ud800").encode("utf-8")  # storable and printable now
