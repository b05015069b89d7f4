"""Sentence alignment of a copy with a candidate source, and the word substitutions inside each pair.

Both texts are split into sentences; every pair is scored with rapidfuzz (an Indel similarity over
word tokens, averaged over the full words and the spinner-proof skeleton of ``fingerprint``); the
best chain of pairs that keeps both texts in order is kept (copies reorder little, independent
reports of one story share sentences in no particular order). Inside an aligned pair, the word-level
diff gives the substitutions: the spun words and the source words they replaced, with offsets on both
sides.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..text import WORD_RE, normalise_token, sentences
from .fingerprint import FUNCTION_WORDS

# A pair of sentences counts as aligned at this similarity. Spun copies of a sentence score 0.75-1.0
# (the skeleton is untouched and half the words are), two reporters' sentences on one fact 0.3-0.6.
MIN_SIMILARITY = 0.62
MAX_SUBSTITUTION_WORDS = 6  # a longer differing run is a rewrite, not a synonym swap


@dataclass(frozen=True)
class Sentence:
    """A sentence of a text: its offsets and its normalised words (with their offsets)."""

    start: int
    end: int
    words: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]
    skeleton: tuple[str, ...]


@dataclass(frozen=True)
class AlignedPassage:
    """A passage of the query aligned with a passage of the source: offsets on both sides."""

    query_start: int
    query_end: int
    source_start: int
    source_end: int
    similarity: float

    def to_json(self) -> dict:
        return {"query_start": self.query_start, "query_end": self.query_end,
                "source_start": self.source_start, "source_end": self.source_end,
                "similarity": round(self.similarity, 4)}


@dataclass(frozen=True)
class WordSubstitution:
    """Spun words in the query and the original words of the source they stand for.

    ``query_start``/``query_end`` index the query document's text (``Document.text``, the whole
    decoded file); ``source_start``/``source_end`` index the archived source text
    (``Archive.get(id).text``). ``spun`` and ``original`` are the exact text of those spans.
    """

    spun: str
    original: str
    query_start: int
    query_end: int
    source_start: int
    source_end: int

    def to_json(self) -> dict:
        return {"spun": self.spun, "original": self.original,
                "query_start": self.query_start, "query_end": self.query_end,
                "source_start": self.source_start, "source_end": self.source_end}


def split_sentences(text: str, spans: Sequence[tuple[int, int]] | None = None) -> list[Sentence]:
    """Sentences of ``text`` (inside ``spans`` when given) with normalised words and skeletons."""
    out: list[Sentence] = []
    for start, end in spans if spans is not None else [(0, len(text))]:
        for s, e in sentences(text, start, end):
            words: list[str] = []
            offs: list[tuple[int, int]] = []
            skel: list[str] = []
            first = True
            for m in WORD_RE.finditer(text, s, e):
                tok = m.group()
                if not tok[0].isalnum():
                    continue
                norm = normalise_token(tok)
                words.append(norm)
                offs.append((m.start(), m.end()))
                if norm in FUNCTION_WORDS or any(c.isdigit() for c in tok) or (tok[0].isupper() and not first):
                    skel.append(norm)
                first = False
            if words:
                out.append(Sentence(s, e, tuple(words), tuple(offs), tuple(skel)))
    return out


def similarity_matrix(query: Sequence[Sentence], source: Sequence[Sentence]):
    """Pairwise sentence similarity in [0, 1]: mean of the word and the skeleton Indel similarity."""
    import numpy as np
    from rapidfuzz import process
    from rapidfuzz.distance import Indel

    if not query or not source:
        return np.zeros((len(query), len(source)), dtype=np.float32)
    words = process.cdist([list(q.words) for q in query], [list(s.words) for s in source],
                          scorer=Indel.normalized_similarity, dtype=np.float32)
    skel = process.cdist([list(q.skeleton) for q in query], [list(s.skeleton) for s in source],
                         scorer=Indel.normalized_similarity, dtype=np.float32)
    return (words + skel) / 2


def best_chain(sim, min_similarity: float = MIN_SIMILARITY) -> list[tuple[int, int, float]]:
    """The highest-scoring chain of (query i, source j) pairs increasing in both i and j.

    Dynamic programming over candidate pairs (each query sentence's good source sentences), a
    weighted longest-increasing-subsequence; O(P^2) for P candidate pairs, which is small.
    """
    pairs = [(i, j, float(sim[i, j])) for i in range(sim.shape[0]) for j in range(sim.shape[1])
             if sim[i, j] >= min_similarity]
    if not pairs:
        return []
    best = [p[2] for p in pairs]
    back = [-1] * len(pairs)
    for b, (i, j, w) in enumerate(pairs):
        for a in range(b):
            ia, ja, _ = pairs[a]
            if ia < i and ja < j and best[a] + w > best[b]:
                best[b] = best[a] + w
                back[b] = a
    k = max(range(len(pairs)), key=best.__getitem__)
    chain = []
    while k >= 0:
        chain.append(pairs[k])
        k = back[k]
    return chain[::-1]


def align_sentences(query: Sequence[Sentence], source: Sequence[Sentence],
                    min_similarity: float = MIN_SIMILARITY) -> list[tuple[int, int, float]]:
    """Aligned (query sentence index, source sentence index, similarity), in order."""
    return best_chain(similarity_matrix(query, source), min_similarity)


def word_substitutions(query_text: str, q: Sentence, source_text: str, s: Sentence,
                       max_words: int = MAX_SUBSTITUTION_WORDS) -> list[WordSubstitution]:
    """The differing word runs of an aligned pair, as spun -> original substitutions.

    Adjacent edit operations are merged, so "money related emergency" -> "financial crisis" is one
    substitution; a run where either side is empty (a dropped or added word) is not a substitution,
    and neither is a run longer than ``max_words`` words on either side (a rewritten clause).
    """
    from rapidfuzz.distance import Levenshtein

    out: list[WordSubstitution] = []
    blocks: list[list[int]] = []  # [q_start, q_end, s_start, s_end] in word indexes
    for op in Levenshtein.opcodes(list(q.words), list(s.words)):
        if op.tag == "equal":
            continue
        if blocks and blocks[-1][1] == op.src_start and blocks[-1][3] == op.dest_start:
            blocks[-1][1], blocks[-1][3] = op.src_end, op.dest_end
        else:
            blocks.append([op.src_start, op.src_end, op.dest_start, op.dest_end])
    for qa, qb, sa, sb in blocks:
        if qa == qb or sa == sb or qb - qa > max_words or sb - sa > max_words:
            continue
        q0, q1 = q.spans[qa][0], q.spans[qb - 1][1]
        s0, s1 = s.spans[sa][0], s.spans[sb - 1][1]
        out.append(WordSubstitution(query_text[q0:q1], source_text[s0:s1], q0, q1, s0, s1))
    return out


@dataclass(frozen=True)
class SourceMatch:
    """A likely source of a document: the archived article, how much of the document it explains, and how.

    - ``score``: the mean similarity of the aligned sentences, weighted by length (1.0 = verbatim);
    - ``coverage``: the share of the document's prose (in characters) aligned with this source;
    - ``alignments``: ``AlignedPassage`` items in document order (query offsets index ``Document.text``,
      source offsets index the archived text, ``Archive.get(id).text``);
    - ``substitutions``: ``WordSubstitution`` items (spun -> original) in document order, with offsets
      on both sides. This shape is stable: ``unspin fix`` and ``unspin learn`` rely on it.
    """

    id: str
    title: str | None
    url: str | None
    score: float
    coverage: float
    alignments: tuple[AlignedPassage, ...]
    substitutions: tuple[WordSubstitution, ...]
    provider: str | None = None
    source_text: str = ""
    # issue #17: "article" (a full text) or "excerpt" (an aggregator item's title + excerpt; see
    # ``match.excerpt``); for an excerpt, what was compared and the aligned words as
    # (query start, query end, source start, source end); the story cluster(s) the source belongs to.
    kind: str = "article"
    compared: dict[str, Any] | None = None
    aligned_words: tuple[tuple[int, int, int, int], ...] = ()
    story: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        out = {
            "id": self.id, "title": self.title, "url": self.url, "provider": self.provider,
            "score": round(self.score, 4), "coverage": round(self.coverage, 4),
            "alignments": [a.to_json() for a in self.alignments],
            "substitutions": [s.to_json() for s in self.substitutions],
            "kind": self.kind,
        }
        if self.kind == "excerpt":
            out["compared"] = self.compared
            out["aligned_words"] = [{"query_start": a, "query_end": b, "source_start": c, "source_end": d}
                                    for a, b, c, d in self.aligned_words]
        if self.story is not None:
            out["story"] = self.story
        return out

    def source_sentence(self, passage: AlignedPassage) -> str:
        return self.source_text[passage.source_start : passage.source_end]
