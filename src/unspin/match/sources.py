"""Which archived articles a document was copied from, passage by passage, and what words were swapped.

``find_sources`` runs three stages:

1. retrieval: the document's LSH band keys looked up in the archive (``index.lsh_candidates``);
2. rerank: containment of the document's skeleton shingles in each candidate's, a finer measure
   than the band votes; candidates sharing too little are dropped;
3. alignment: sentence alignment with each remaining candidate (``align``). Candidates are taken
   best first and each query sentence is credited to one source only, so an article stitched from
   several sources lists each with its own passages. A candidate is a likely source only if enough of
   the document aligns with it, in order: an independent report of the same story shares names,
   numbers and perhaps a quote, but not a run of sentences with the same skeleton.

When part of the document is left unexplained, the leftover sentences are looked up again, so a
source that contributed only a minor share is still found.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from typing import Any

from ..model import Document, Finding, Suggestion
from .align import (
    AlignedPassage,
    Sentence,
    SourceMatch,
    WordSubstitution,
    align_sentences,
    split_sentences,
    word_substitutions,
)
from .fingerprint import containment, fingerprint, text_shingles

SOURCE_STATUSES = ("original", "fixed")  # archive statuses that may be sources (match.archive.SOURCE_STATUSES)
CANDIDATES = 40  # most-voted LSH candidates fetched
RERANK = 8  # candidates aligned sentence by sentence
MIN_CONTAINMENT = 0.05  # share of the document's skeleton shingles a candidate must contain
MIN_COVERAGE = 0.15  # share of the document's prose a source must explain
MIN_SENTENCES = 3  # aligned sentences a source must explain (all of them for shorter documents)
# A source that explains less than MIN_COVERAGE is still listed when the document copies a run of its
# sentences: aligned pairs consecutive on both sides (a gap of one sentence allowed), at least
# RUN_SENTENCES of them near-verbatim: a skeleton of 3 words or more matching at RUN_SKELETON and a
# similarity of at least RUN_SIMILARITY.
# Two reporters writing about one story share names, numbers, even a quote, but not three sentences
# in a row strung together with the same function words.
RUN_SENTENCES = 3
RUN_SIMILARITY = 0.8
RUN_SKELETON = 0.9


def query_sentences(doc: Document) -> list[Sentence]:
    """The document's prose sentences, offsets into ``doc.text``."""
    return split_sentences(doc.text, [(s.start, s.end) for s in doc.segments])


def find_sources(archive: Any, doc: Document, top: int = 5) -> list[SourceMatch]:
    """Likely sources of ``doc`` in ``archive``, best first, at most ``top``."""
    if top <= 0:
        return []
    text = doc.prose()
    first = [pk for pk, _ in archive.candidates(fingerprint(text).keys, CANDIDATES)]
    if not first:
        return []  # no candidate at all: the sentence split is not needed
    sentences = query_sentences(doc)
    if not sentences:
        return []
    total_chars = sum(s.end - s.start for s in sentences) or 1
    need = min(MIN_SENTENCES, len(sentences))
    claimed: set[int] = set()
    accepted: list[tuple[Any, list[tuple[int, int, float]], list[Sentence]]] = []
    seen: set[int] = set()
    for round_ in range(2):
        if round_ == 0:
            pool = first
        else:
            pool = [pk for pk, _ in archive.candidates(fingerprint(text).keys, CANDIDATES) if pk not in seen]
        if not pool:
            break
        query_shingles = text_shingles(text)
        # only originals (and fixed articles) are sources; the others have no index rows anyway
        articles = {pk: a for pk, a in archive.get_by_pk(pool).items()
                    if getattr(a, "status", "original") in SOURCE_STATUSES}
        ranked = sorted(((containment(query_shingles, text_shingles(art.text)), pk) for pk, art in articles.items()),
                        reverse=True)
        scored = []
        for c, pk in ranked[:RERANK]:
            if c < MIN_CONTAINMENT:
                break
            seen.add(pk)
            art = articles[pk]
            src_sentences = split_sentences(art.text)
            chain = align_sentences(sentences, src_sentences)
            weight = sum(w * (sentences[i].end - sentences[i].start) for i, _, w in chain)
            scored.append((weight, pk, art, chain, src_sentences))
        scored.sort(key=lambda t: (-t[0], t[1]))
        for _, _pk, art, chain, src_sentences in scored:
            pairs = [(i, j, w) for i, j, w in chain if i not in claimed]
            if is_source(pairs, sentences, src_sentences, total_chars, need):
                accepted.append((art, pairs, src_sentences))
                claimed.update(i for i, _, _ in pairs)
        left = [s for k, s in enumerate(sentences) if k not in claimed]
        if not accepted or len(left) < min(need, RUN_SENTENCES):
            break  # nothing found at all, or too little left to hold another source
        text = "\n\n".join(doc.text[s.start : s.end] for s in left)

    matches = [_build_match(doc, art, pairs, sentences, src, total_chars) for art, pairs, src in accepted]
    matches.sort(key=lambda m: (-m.coverage * m.score, m.id))
    matches = matches[:top]
    if len(matches) < top and archive_has_excerpts(archive):
        # excerpt-only entries (issue #17) explain only what no full-text source did, listed after them
        from .excerpt import find_excerpt_sources

        matches += find_excerpt_sources(archive, doc, sentences, claimed, top - len(matches))
    if matches and archive_has_excerpts(archive):
        matches = with_stories(archive, matches)
    return matches


def archive_has_excerpts(archive: Any) -> bool:
    """Whether the archive holds excerpt entries (an archive without them skips that lookup)."""
    probe = getattr(archive, "has_excerpts", None)
    return bool(probe()) if callable(probe) else False


def with_stories(archive: Any, matches: list[SourceMatch]) -> list[SourceMatch]:
    """Each match with its story cluster: the entries an aggregator item grouped with it."""
    from dataclasses import replace

    stories = archive.stories_of([m.id for m in matches])
    if not stories:
        return matches
    out = []
    for m in matches:
        cluster = stories.get(m.id)
        if not cluster:
            out.append(m)
            continue
        story_id, members = cluster
        matched = [x.id for x in matches if any(x.id == mem["id"] for mem in members)]
        out.append(replace(m, story={"id": story_id, "originals": len(members), "members": members,
                                     "matched": matched}))
    return out


def is_source(pairs: list[tuple[int, int, float]], sentences: list[Sentence], src_sentences: list[Sentence],
              total_chars: int, need: int) -> bool:
    """Whether aligned (query i, source j, similarity) pairs make the candidate a likely source.

    Either the pairs explain enough of the document (``need`` sentences and MIN_COVERAGE of its
    characters), or they hold a copied run (``copied_run``) however small a share of the document it is.
    """
    if len(pairs) >= need and sum(sentences[i].end - sentences[i].start for i, _, _ in pairs) >= (
            MIN_COVERAGE * total_chars):
        return True
    return copied_run(pairs, sentences, src_sentences) >= RUN_SENTENCES


def copied_run(pairs: list[tuple[int, int, float]], sentences: list[Sentence],
               src_sentences: list[Sentence]) -> int:
    """The most near-verbatim pairs in one run of aligned pairs that are consecutive on both sides (one
    skipped sentence allowed on either side between neighbours). Pairs come from ``align_sentences``,
    so every one is aligned (similarity >= MIN_SIMILARITY) and they are in order."""
    from rapidfuzz.distance import Indel

    best = run = 0
    prev: tuple[int, int] | None = None
    for i, j, w in pairs:
        if prev is None or i - prev[0] > 2 or j - prev[1] > 2:
            run = 0
        prev = (i, j)
        q, src = sentences[i], src_sentences[j]
        if (w >= RUN_SIMILARITY and len(q.skeleton) >= 3
                and Indel.normalized_similarity(q.skeleton, src.skeleton) >= RUN_SKELETON):
            run += 1
            best = max(best, run)
    return best


def _build_match(doc: Document, art: Any, pairs: list[tuple[int, int, float]], sentences: list[Sentence],
                 src_sentences: list[Sentence], total_chars: int) -> SourceMatch:
    passages = []
    subs: list[WordSubstitution] = []
    weighted = 0.0
    chars = 0
    for i, j, w in pairs:
        q, s = sentences[i], src_sentences[j]
        passages.append(AlignedPassage(q.start, q.end, s.start, s.end, w))
        subs.extend(word_substitutions(doc.text, q, art.text, s))
        n = q.end - q.start
        weighted += w * n
        chars += n
    return SourceMatch(
        id=art.id, title=art.title, url=art.url, score=weighted / max(chars, 1), coverage=chars / total_chars,
        alignments=tuple(passages), substitutions=tuple(subs), provider=art.provider_name, source_text=art.text,
    )


def source_findings(doc: Document, fb: Any, archive: Any) -> list[Finding]:
    """US301 findings for a document, looking its sources up in the archive."""
    return findings_from_matches(doc, fb, find_sources(archive, doc))


def findings_from_matches(doc: Document, fb: Any, matches: list[SourceMatch]) -> list[Finding]:
    """US301 findings: each word the document swapped relative to an aligned likely source.

    The suggestion is the source's wording; the evidence names the source and quotes its aligned
    sentence. When two sources cover the same span, the better source's finding is kept.
    """
    out: list[Finding] = []
    # spans already taken, sorted; no two overlap, so their ends are sorted too and the one span that
    # may overlap a new one is the last starting before the new one ends (bisect, not a scan)
    taken: list[tuple[int, int]] = []
    starts: list[int] = []
    ends: list[int] = []
    for match in matches:
        passages = sorted(match.alignments, key=lambda p: (p.query_start, p.query_end))
        pstarts = [p.query_start for p in passages]
        for sub in match.substitutions:
            k = bisect_left(starts, sub.query_end) - 1
            if k >= 0 and ends[k] > sub.query_start:
                continue
            j = bisect_right(pstarts, sub.query_start) - 1
            passage = passages[j] if j >= 0 and sub.query_end <= passages[j].query_end else None
            name = match.title or match.id
            evidence = {
                "source_id": match.id, "title": match.title, "url": match.url,
                "source_sentence": match.source_sentence(passage) if passage else None,
                "coverage": round(match.coverage, 4),
            }
            if match.kind == "excerpt":  # only the excerpt was compared (issue #17)
                evidence["kind"] = "excerpt"
                evidence["source_sentence"] = (match.compared or {}).get("excerpt")
            confidence = min(0.95, match.score * math.sqrt(min(1.0, match.coverage * 2)))
            out.append(fb.make(
                "US301", sub.query_start, sub.query_end,
                f"{sub.spun!r} differs from the source ({name}{', excerpt only' if match.kind == 'excerpt' else ''}), "
                f"which has {sub.original!r}",
                [Suggestion(sub.original, "source", match.score)], confidence, evidence,
            ))
            span = (sub.query_start, sub.query_end)
            i = bisect_right(taken, span)
            taken.insert(i, span)
            starts.insert(i, span[0])
            ends.insert(i, span[1])
    return out


def vouched_by_sources(findings: list[Finding], matches: list[SourceMatch]) -> list[Finding]:
    """Drop lexicon and model findings on words an aligned source has too.

    Inside a passage aligned with a likely source, the source's wording is the evidence: a word the
    source shares is original wording, whatever a list or model says, so only the passages' own
    substitutions (US301) stand there.
    """
    passages = [(p.query_start, p.query_end) for m in matches if m.kind != "excerpt" for p in m.alignments]
    # an excerpt vouches only for the words aligned with it, not for the rest of its window
    passages += [(a[0], a[1]) for m in matches if m.kind == "excerpt" for a in m.aligned_words]
    if not passages:
        return findings
    inner = _Spans(passages)
    sourced = _Spans([(f.start, f.end) for f in findings if f.rule.startswith("US3")])

    def keep(f: Finding) -> bool:
        if not f.rule.startswith(("US1", "US2")):
            return True
        return not inner.contains(f.start, f.end) or sourced.overlaps(f.start, f.end)

    return [f for f in findings if keep(f)]


def detect(doc: Document, fb: Any, ctx: Any, findings: list[Finding]) -> tuple[list[Finding], tuple[SourceMatch, ...]]:
    """The registry's US301 detector (stage ``sources``): the document's likely sources in the context's
    archive, their swapped-word findings added to ``findings``, and the findings they do not vouch for
    dropped."""
    sources = tuple(find_sources(ctx.archive, doc, top=ctx.top_sources))
    return vouched_by_sources(findings + findings_from_matches(doc, fb, list(sources)), list(sources)), sources


class _Spans:
    """Spans sorted by start with the running maximum of their ends: "does one contain / overlap
    (start, end)" in O(log n) for any spans, overlapping or not."""

    def __init__(self, spans: list[tuple[int, int]]):
        spans = sorted(spans)
        self.starts = [s for s, _ in spans]
        self.max_end: list[int] = []
        top = -1
        for _, e in spans:
            top = max(top, e)
            self.max_end.append(top)

    def contains(self, start: int, end: int) -> bool:
        """Some span has s <= start and end <= e."""
        k = bisect_right(self.starts, start) - 1
        return k >= 0 and self.max_end[k] >= end

    def overlaps(self, start: int, end: int) -> bool:
        """Some span has start < e and s < end."""
        k = bisect_left(self.starts, end) - 1
        return k >= 0 and self.max_end[k] > start
