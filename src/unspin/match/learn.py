"""Mine spun -> original substitutions from matched copies into a learned lexicon (rule US103).

Evidence comes from ``SourceMatch.substitutions`` (``unspin.match.sources.find_sources``), from the
JSON of ``unspin match --format json``, or from pairs of archived articles. A substitution is only a
candidate when it looks like a synonym swap: at most ``MAX_WORDS`` words on each side, letters only
(a changed number or name is a changed fact, not spinning), not a function-word edit, and not a
change of capitalisation or spelling alone.

Candidates are not trusted blindly. An entry goes into the learned lexicon only when

* it was seen at least ``min_count`` times in at least ``min_docs`` different copies of at least
  ``min_sources`` different original articles (a spinner uses the same dictionary on every article;
  an editor's one-off rewording shows up once, and two copies of one story are one piece of evidence);
* the spun phrase maps to this original in at least ``MIN_SHARE`` of its sightings (a phrase that
  "means" several different things in different copies is not a dictionary entry);
* it never fires on clean text: the spun phrase must not occur at all in the clean corpus, which is
  the matched sources and every other original in the archive (not the copies), and a one-word spun
  phrase must be rarer in everyday English than ``MAX_SINGLE_WORD_ZIPF`` (wordfreq's Zipf scale),
  since every use of it would be flagged.

Each kept row says why in its ``why`` column (its copies, sources, share and clean-text check);
each review row says what it lacks.

Everything else that passed the shape checks goes to a review list, with the same columns, for an
editor to accept or drop (see docs/rewriting.md).
"""

from __future__ import annotations

import hashlib
import io
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..text import WORD_RE, normalise_phrase, sentences

MAX_WORDS = 4
MIN_SHARE = 0.6
# A one-word entry flags every use of that word. Zipf 4.0 is 10 uses per million words of everyday
# English (wordfreq): a spun word more common than that is ordinary wording too often to trust.
MAX_SINGLE_WORD_ZIPF = 4.0
DEFAULT_MIN_COUNT = 2
DEFAULT_MIN_DOCS = 2
DEFAULT_MIN_SOURCES = 2
CLEAN_LIMIT = 20_000  # archived originals read for the clean-text check (the most recent first)
EXAMPLE_CHARS = 240
COLUMNS = ("id", "spun", "canonical", "condition", "source", "example_bad", "example_good", "count", "docs",
           "sources", "why")

_FUNCTION_WORDS = frozenset("""
a an the and or but nor of to in on at by for from with without into onto upon over under about as
is are was were be been being has have had do does did will would shall should can could may might
must it its this that these those he she they we you i him her them us his their our your my not no
so than then there here which who whom whose what when where why how also very just only
""".split())


@dataclass
class Candidate:
    spun: str  # normalised (lower-case, single spaces)
    original: str
    count: int = 0
    docs: set[str] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)  # the originals the copies were matched to
    forms: Counter = field(default_factory=Counter)  # (spun as written, original as written)
    example_bad: str = ""
    example_good: str = ""


@dataclass(frozen=True)
class LearnedEntry:
    id: str
    spun: str
    canonical: str
    count: int
    docs: int
    example_bad: str
    example_good: str
    reason: str = ""  # why an entry is only up for review
    sources: int = 0
    why: str = ""  # why a trusted entry was kept

    def row(self, source: str = "learned") -> list[str]:
        return [self.id, self.spun, self.canonical, "", source, self.example_bad, self.example_good,
                str(self.count), str(self.docs), str(self.sources), self.reason or self.why]


def shape_problem(spun: str, original: str) -> str | None:
    """Why a substitution is not a synonym swap, or None when it may be one."""
    s_words = [w for w in WORD_RE.findall(spun) if w[:1].isalnum()]
    o_words = [w for w in WORD_RE.findall(original) if w[:1].isalnum()]
    if not s_words or not o_words:
        return "empty side"
    if len(s_words) > MAX_WORDS or len(o_words) > MAX_WORDS:
        return "too long"
    if any(any(c.isdigit() for c in w) for w in s_words + o_words):
        return "numbers"
    if normalise_phrase(spun) == normalise_phrase(original):
        return "case or punctuation only"
    if all(w.lower() in _FUNCTION_WORDS for w in s_words) or all(w.lower() in _FUNCTION_WORDS for w in o_words):
        return "function words"
    # Names: a capitalised word that is not the first word on either side.
    if any(w[:1].isupper() for w in s_words[1:] + o_words[1:]):
        return "names"
    if s_words[0][:1].isupper() != o_words[0][:1].isupper() and not (len(s_words) == 1 and len(o_words) == 1):
        return "names"
    if _edit_ratio(normalise_phrase(spun), normalise_phrase(original)) < 0.25:
        return "spelling"
    return None


def _zipf(word: str) -> float:
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "en")


def _edit_ratio(a: str, b: str) -> float:
    from rapidfuzz.distance import Levenshtein

    return Levenshtein.normalized_distance(a, b)


def _sentence_around(text: str, start: int, end: int) -> str:
    """The sentence holding text[start:end], on one line and at most EXAMPLE_CHARS long; in front
    matter, the field's value alone (no YAML key, quotes or neighbouring lines)."""
    field = _front_matter_value(text, start, end)
    if field is not None:
        return field
    lo = text.rfind("\n\n", 0, start) + 1
    hi = text.find("\n\n", end)
    hi = len(text) if hi < 0 else hi
    for s, e in sentences(text, lo, hi):
        if s <= start and end <= e:
            lo, hi = s, e
            break
    snippet = re.sub(r"\s+", " ", text[lo:hi]).strip()
    if len(snippet) > EXAMPLE_CHARS:
        mid = start - lo
        a = max(0, mid - EXAMPLE_CHARS // 2)
        snippet = "…" + snippet[a:a + EXAMPLE_CHARS - 2].strip() + "…"
    return snippet


_FM_FIELD_RE = re.compile(r"""^[ \t]*[\w-]+:[ \t]*(?:[>|][-+]?[ \t]*$)?[ \t]*(["']?)(.*?)\1[ \t]*$""")


def _front_matter_value(text: str, start: int, end: int) -> str | None:
    if not text.startswith("---"):
        return None
    close = re.search(r"^(?:---|\.\.\.)[ \t]*$", text[3:], re.M)
    if close is None or start >= close.start() + 3:
        return None
    lo = text.rfind("\n", 0, start) + 1
    hi = text.find("\n", end)
    line = text[lo:len(text) if hi < 0 else hi]
    m = _FM_FIELD_RE.match(line)
    value = m.group(2) if m else line.strip()
    return re.sub(r"\s+", " ", value).strip()[:EXAMPLE_CHARS]


class SubstitutionMiner:
    """Collects substitutions from matched copies and turns them into lexicon entries."""

    def __init__(self) -> None:
        self.candidates: dict[tuple[str, str], Candidate] = {}
        self.rejected: Counter = Counter()
        self.source_texts: dict[str, str] = {}
        self.clean_texts: dict[str, str] = {}  # other originals (the archive's), for the clean-text check
        self.pairs = 0

    def add_clean_text(self, key: str, text: str) -> None:
        """An original article known to be clean (not a copy): no trusted entry may occur in it."""
        self.clean_texts[str(key)] = text

    def add(self, doc_key: str, spun: str, original: str, *, example_bad: str = "", example_good: str = "",
            source_key: str | None = None) -> bool:
        problem = shape_problem(spun, original)
        if problem:
            self.rejected[problem] += 1
            return False
        key = (normalise_phrase(spun), normalise_phrase(original))
        cand = self.candidates.get(key)
        if cand is None:
            cand = self.candidates[key] = Candidate(*key)
        cand.count += 1
        cand.docs.add(doc_key)
        cand.sources.add(str(source_key) if source_key is not None else f"copy:{doc_key}")  # unknown: its own
        cand.forms[(spun.lower() if not spun.isupper() else spun, original)] += 1
        if not cand.example_bad and example_bad:
            cand.example_bad, cand.example_good = example_bad, example_good
        return True

    def add_match(self, doc_key: str, doc_text: str, match) -> int:
        """Substitutions of one ``SourceMatch`` (or its JSON dict) for a copy whose text is ``doc_text``."""
        self.pairs += 1
        source_text = getattr(match, "source_text", None) or (match.get("source_text", "")
                                                             if isinstance(match, dict) else "")
        source_id = getattr(match, "id", None) or (match.get("id") if isinstance(match, dict) else None)
        if source_text and source_id:
            self.source_texts[str(source_id)] = source_text
        subs = match.substitutions if not isinstance(match, dict) else match.get("substitutions", [])
        added = 0
        for sub in subs:
            get = sub.get if isinstance(sub, dict) else lambda k, s=sub: getattr(s, k)
            spun, original = str(get("spun")), str(get("original"))
            bad = good = ""
            qs, qe = get("query_start"), get("query_end")
            if doc_text and isinstance(qs, int) and doc_text[qs:qe] == spun:
                bad = _sentence_around(doc_text, qs, qe)
            ss, se = get("source_start"), get("source_end")
            if source_text and isinstance(ss, int) and source_text[ss:se] == original:
                good = _sentence_around(source_text, ss, se)
            added += self.add(doc_key, spun, original, example_bad=bad, example_good=good, source_key=source_id)
        return added

    # -----------------------------------------------------------------------------------------------

    def entries(self, *, min_count: int = DEFAULT_MIN_COUNT, min_docs: int = DEFAULT_MIN_DOCS,
                min_sources: int = DEFAULT_MIN_SOURCES) -> tuple[list[LearnedEntry], list[LearnedEntry]]:
        """(trusted entries, entries for review), most evidence first."""
        per_spun: Counter = Counter()
        for (spun, _orig), c in self.candidates.items():
            per_spun[spun] += c.count
        in_sources = self._occurrences_in_sources({spun for spun, _ in self.candidates})
        copies = {d for c in self.candidates.values() for d in c.docs}
        clean_docs = len({k for k in (*self.source_texts, *self.clean_texts) if k not in copies})
        trusted: list[LearnedEntry] = []
        review: list[LearnedEntry] = []
        for (spun, orig), c in sorted(self.candidates.items(), key=lambda kv: (-kv[1].count, kv[0])):
            (spun_form, orig_form), _n = c.forms.most_common(1)[0]
            canonical = orig_form if not orig_form[:1].isupper() or orig_form.isupper() else \
                orig_form[:1].lower() + orig_form[1:]
            if spun_form[:1].isupper() and not spun_form.isupper():
                spun_form = spun_form[:1].lower() + spun_form[1:]
            reasons = []
            if c.count < min_count:
                reasons.append(f"seen {c.count} time{'s' if c.count != 1 else ''}")
            if len(c.docs) < min_docs:
                reasons.append(f"in {len(c.docs)} cop{'ies' if len(c.docs) != 1 else 'y'}")
            elif len(c.sources) < min_sources:
                reasons.append(f"copies of only {len(c.sources)} original{'s' if len(c.sources) != 1 else ''} "
                               "(copies of one story are one piece of evidence)")
            share = c.count / per_spun[spun]
            if share < MIN_SHARE:
                reasons.append(f"'{spun}' maps to this original in only {share:.0%} of sightings")
            clean_uses = in_sources.get(spun, 0)
            if clean_uses:
                reasons.append(f"'{spun}' is ordinary wording: it fires on clean text ({clean_uses} "
                               f"use{'s' if clean_uses != 1 else ''} in {clean_docs} original"
                               f"{'s' if clean_docs != 1 else ''})")
            z = _zipf(spun) if " " not in spun else None
            if z is not None and z > MAX_SINGLE_WORD_ZIPF:
                reasons.append(f"'{spun}' is a common word (Zipf {z:.1f} > {MAX_SINGLE_WORD_ZIPF})")
            why = (f"{c.count} sightings in {len(c.docs)} copies of {len(c.sources)} originals; maps to "
                   f"'{orig}' in {share:.0%} of them; no use in {clean_docs} clean original"
                   f"{'s' if clean_docs != 1 else ''}" + (f"; Zipf {z:.1f}" if z is not None else ""))
            digest = hashlib.sha1(f"{spun}\t{orig}".encode()).hexdigest()[:10]
            entry = LearnedEntry(f"LRN-{digest}", spun_form, canonical, c.count, len(c.docs),
                                 _cell(c.example_bad), _cell(c.example_good), "; ".join(reasons),
                                 sources=len(c.sources), why="" if reasons else why)
            (review if reasons else trusted).append(entry)
        return trusted, review

    def _occurrences_in_sources(self, phrases: set[str]) -> dict[str, int]:
        texts = {**self.clean_texts, **self.source_texts}
        copies = {d for c in self.candidates.values() for d in c.docs}
        texts = {k: t for k, t in texts.items() if k not in copies}  # a copy's own words are not clean text
        if not texts or not phrases:
            return {}
        import ahocorasick

        auto = ahocorasick.Automaton()
        for p in phrases:
            auto.add_word(p, p)
        auto.make_automaton()
        counts: Counter = Counter()
        for text in texts.values():
            stream = " " + " ".join(normalise_phrase(t) for t in WORD_RE.findall(text)) + " "
            for end, p in auto.iter(stream):
                i = end - len(p) + 1
                if stream[i - 1] == " " and stream[end + 1:end + 2] == " ":
                    counts[p] += 1
        return dict(counts)


def _cell(text: str) -> str:
    return re.sub(r"[\t\r\n]+", " ", text).strip()


def lexicon_tsv(entries: Iterable[LearnedEntry], *, source: str = "learned", header_note: str = "") -> str:
    """Entries as a lexicon TSV the loader reads (``source`` starting with "learned" -> US103)."""
    buf = io.StringIO()
    buf.write("\t".join(COLUMNS) + "\n")
    for note in header_note.splitlines():
        buf.write(f"# {note}\n")
    for e in entries:
        cells = e.row(source)
        buf.write("\t".join(_cell(c) for c in cells) + "\n")
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------------
# Evidence sources


def mine_documents(miner: SubstitutionMiner, archive, docs: Iterable, *, top: int = 3) -> int:
    """Find each copy's sources in the archive and mine their substitutions; returns documents matched."""
    from .sources import find_sources

    matched = 0
    for doc in docs:
        found = [m for m in find_sources(archive, doc, top) if m.substitutions]
        if found:
            matched += 1
        for m in found:
            miner.add_match(doc.path, doc.text, m)
    return matched


def mine_archive(miner: SubstitutionMiner, archive, *, top: int = 3, limit: int | None = None,
                 page: int = 200) -> int:
    """Mine pairs inside the archive: each archived article matched against the others.

    Direction: of two matched archived articles, the copy is the one published later when both dates
    are known; otherwise the one whose swapped words are rarer in everyday English (spinners pick
    unusual synonyms). Returns the number of pairs mined.
    """
    from ..document import parse_text
    from .sources import find_sources

    seen_pairs: set[frozenset] = set()
    mined = 0
    offset = 0
    done = 0
    while limit is None or done < limit:
        rows = archive.list_articles(limit=page, offset=offset)
        if not rows:
            break
        offset += len(rows)
        for row in rows:
            if limit is not None and done >= limit:
                break
            done += 1
            art = archive.get(row["id"])
            if art is None:
                continue
            doc = parse_text(art.text, art.id, "text")[0]
            for m in find_sources(_Excluding(archive, art.pk), doc, top):
                if m.id == art.id or not m.substitutions:
                    continue
                pair = frozenset((art.id, m.id))
                if pair in seen_pairs:
                    continue
                seen_pairs.add(pair)
                other = archive.get(m.id)
                if _is_copy(art, other, m.substitutions):
                    miner.add_match(art.id, art.text, m)
                    mined += 1
                else:
                    # The archived article is the original: mine the other direction from its match.
                    odoc = parse_text(other.text, other.id, "text")[0]
                    back = [x for x in find_sources(_Excluding(archive, other.pk), odoc, top) if x.id == art.id]
                    if back:
                        miner.add_match(other.id, other.text, back[0])
                        mined += 1
    return mined


class _Excluding:
    """The archive seen without one article, so that an archived article is not its own source."""

    def __init__(self, archive, pk: int):
        self._archive = archive
        self._pk = pk

    def candidates(self, keys, limit: int = 50):
        return [c for c in self._archive.candidates(keys, limit + 1) if c[0] != self._pk][:limit]

    def __getattr__(self, name: str):
        return getattr(self._archive, name)


def _is_copy(art, other, substitutions) -> bool:
    """True when ``art`` is the spun copy of ``other`` (see mine_archive for the rule)."""
    a, b = getattr(art, "published", None), getattr(other, "published", None)
    if a and b and a != b:
        return a > b
    from wordfreq import zipf_frequency

    def rarity(phrase: str) -> float:
        words = [w.lower() for w in WORD_RE.findall(phrase) if w[:1].isalpha()]
        return sum(zipf_frequency(w, "en") for w in words) / max(len(words), 1)

    delta = sum(rarity(s.original) - rarity(s.spun) for s in substitutions)
    return delta >= 0  # the copy's words are the rarer ones


def mine_match_json(miner: SubstitutionMiner, payload: dict, *, read_text=None, source_text=None) -> int:
    """Substitutions from ``unspin match --format json`` output.

    ``read_text(path)`` gives a copy's text and ``source_text(id)`` an archived source's text, for the
    examples and the ordinary-wording check; both are optional.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("documents"), list):
        raise ValueError("not the JSON of 'unspin match --format json' (no \"documents\" list)")
    n = 0
    for d in payload.get("documents", []):
        path = d.get("path", "")
        text = ""
        if read_text is not None and path:
            try:
                text = read_text(path) or ""
            except Exception:
                text = ""
        for m in d.get("matches", []):
            if source_text is not None and m.get("id") and "source_text" not in m:
                try:
                    m = {**m, "source_text": source_text(m["id"]) or ""}
                except Exception:
                    pass
            n += miner.add_match(path, text, m)
    return n
