"""Candidate retrieval: LSH band keys looked up in SQL, and a brute-force oracle to test it against.

The LSH query touches only the index rows whose key the query shares, so its cost grows with the
number of near neighbours, not with the archive. Each shared band is a vote; the vote count is an
estimate of the Jaccard resemblance of the skeleton shingles (64 bands of 2 rows), so the most voted
articles come first and the rest are cut off at ``limit``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from .fingerprint import containment, resemblance


def lsh_candidates(conn: Any, bands: Any, keys: Sequence[int], limit: int = 50) -> list[tuple[int, int]]:
    """(article pk, votes) for articles that share at least one LSH band key with ``keys``."""
    from sqlalchemy import func, select

    if not keys:
        return []
    votes = func.count().label("votes")
    q = (select(bands.c.article, votes).where(bands.c.key.in_(list(set(keys))))
         .group_by(bands.c.article).order_by(votes.desc(), bands.c.article).limit(limit))
    return [(int(pk), int(n)) for pk, n in conn.execute(q)]


def brute_force_candidates(query: set[str], corpus: Iterable[tuple[Any, set[str]]], limit: int = 50,
                           min_containment: float = 0.0) -> list[tuple[Any, float, float]]:
    """Every (id, containment, resemblance) of the query's shingles against each corpus entry, best first.

    The exact answer the LSH index approximates; used by tests and the benchmark as the oracle.
    """
    scored = []
    for key, shingles in corpus:
        c = containment(query, shingles)
        if c > min_containment:
            scored.append((key, c, resemblance(query, shingles)))
    scored.sort(key=lambda t: (-t[1], -t[2], str(t[0])))
    return scored[:limit]
