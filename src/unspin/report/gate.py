"""The archive gate's counts per provider, for the provider report (``unspin report --db``).

For each provider of the feed, how many of its articles the archive holds by status: originals,
copies (of another provider's originals, usually), held for review, fixed and rejected. Providers are
matched as the report groups them (``providers.provider_key``: domain, else name).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .providers import ProviderStats, provider_key

STATUSES = ("original", "copy", "held", "fixed", "rejected")


def archive_counts(archive: Any) -> dict[str, dict[str, int]]:
    """{provider key: {status: articles}} over the whole archive."""
    out: dict[str, dict[str, int]] = {}
    for name, domain, status, n in archive.provider_status_rows():
        per = out.setdefault(provider_key(name, domain), dict.fromkeys(STATUSES, 0))
        per[status] = per.get(status, 0) + int(n)
    return out


def with_archive_counts(providers: list[ProviderStats], counts: dict[str, dict[str, int]]) -> list[ProviderStats]:
    """The providers with their archive counts attached (zeros for a provider the archive lacks)."""
    return [replace(p, archive=dict(counts.get(p.key, dict.fromkeys(STATUSES, 0)))) for p in providers]


def describe(counts: dict[str, int]) -> str:
    return (f"{counts.get('original', 0)} originals, {counts.get('copy', 0)} copies, {counts.get('held', 0)} held, "
            f"{counts.get('fixed', 0)} fixed, {counts.get('rejected', 0)} rejected")
