"""MatchStream: the normalised stream, its cased twin and the offsets worked out on demand."""

from __future__ import annotations

from unspin.model import Segment
from unspin.text import WORD_RE, MatchStream, normalise_token


def _stream(text: str, *cuts: int, joined: int | None = None) -> MatchStream:
    bounds = (0, *cuts, len(text))
    segs = [Segment(a, b, "body", joined=k == joined) for k, (a, b) in enumerate(zip(bounds, bounds[1:], strict=False))]
    return MatchStream(text, segs)


def test_stream_is_the_normalised_tokens_with_barriers():
    text = "State-of-the-art rock’n’roll—in 2005–2015. Next para: Ünïcode İstanbul"
    ms = _stream(text, 42)
    toks = WORD_RE.findall(text[:42]), WORD_RE.findall(text[42:])
    assert ms.stream == " ¦ ".join(" ".join(normalise_token(t) for t in part) for part in toks)
    assert "2005 - 2015" in ms.stream and "rock'n'roll - in" in ms.stream  # a dash between words is a token
    assert ms.word_count == sum(1 for part in toks for t in part if t[0].isalnum())
    assert ms.cased.lower().split(" ")[:3] == ms.stream.split(" ")[:3]
    assert ms.cased.split(" ")[0] == "State"


def test_offsets_and_spans_map_back_to_the_text():
    text = "Alpha beta. Gamma delta epsilon"
    ms = _stream(text, 12, joined=1)  # the second segment continues the first sentence: no barrier
    assert "¦" not in ms.stream
    assert [t.text for t in ms.tokens] == ["Alpha", "beta", ".", "Gamma", "delta", "epsilon"]
    assert ms.token_starts == [0, 6, 10, 12, 18, 24] and ms.token_ends[-1] == len(text)
    i = ms.stream.index("beta . gamma")
    assert ms.span(i, i + len("beta . gamma")) == (6, 17)
    assert ms.is_boundary(i, i + 4) and not ms.is_boundary(i + 1, i + 4)


def test_ascii_and_unicode_segments_tokenise_alike():
    text = "It's a test-case, isn't it? (Yes) 3.5% of $10_000"
    assert MatchStream(text, [Segment(0, len(text), "body")]).stream == " ".join(
        normalise_token(t) for t in WORD_RE.findall(text))
    uni = text + " “quoted”"
    ms = MatchStream(uni, [Segment(0, len(uni), "body")])
    assert ms.stream.startswith(" ".join(normalise_token(t) for t in WORD_RE.findall(text)))
