"""Inline SVG charts for the HTML report, drawn in Python: no JavaScript, no downloads.

Every piece of text that reaches the SVG passes through ``esc`` (names come from untrusted feeds).
"""

from __future__ import annotations

from html import escape

from .providers import HISTOGRAM_BINS, ProviderStats

LOW = "#b3261e"  # low-quality provider
WARN = "#e08a00"  # over the share threshold but too few articles to be flagged
OK = "#3b6ea8"
GRID = "#d0d4da"
TEXT = "#1f2328"
MUTED = "#59636e"
FONT = "font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif\""


def esc(text: object) -> str:
    return escape(str(text), quote=True)


def _label(name: str, limit: int = 30) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def _svg(width: int, height: int, body: list[str], title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" {FONT} font-size="12"><title>{esc(title)}</title>'
            + "".join(body) + "</svg>")


def flagged_share_chart(providers: list[ProviderStats], share_threshold: float, min_articles: int,
                        width: int = 860) -> str:
    """Horizontal bars: providers ranked by the share of their articles that are flagged."""
    ranked = sorted(providers, key=lambda p: (-p.flagged_share, -p.mean_score, p.name.lower(), p.key))
    row, top, left, right = 24, 28, 230, 150
    plot = width - left - right
    height = top + row * max(1, len(ranked)) + 30
    out = []
    for i in range(0, 11, 2):  # grid and axis labels every 20 %
        x = left + plot * i / 10
        out.append(f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - 26}" stroke="{GRID}"/>')
        out.append(f'<text x="{x:.1f}" y="{height - 10}" text-anchor="middle" fill="{MUTED}">'
                   f'{i * 10}%</text>')
    for i, p in enumerate(ranked):
        y = top + i * row
        color = LOW if p.low_quality else WARN if p.flagged_share >= share_threshold else OK
        w = max(0.0, plot * p.flagged_share)
        tip = f"{p.name}: {p.flagged} of {p.articles} articles flagged ({p.flagged_share:.1%})"
        out.append(f'<g><title>{esc(tip)}</title>'
                   f'<text x="{left - 8}" y="{y + 15}" text-anchor="end" fill="{TEXT}">'
                   f'{esc(_label(p.name))}</text>'
                   f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" fill="{color}" rx="2"/>'
                   f'<text x="{left + w + 6:.1f}" y="{y + 15}" fill="{MUTED}">'
                   f'{p.flagged_share:.0%} ({p.flagged}/{p.articles})</text></g>')
    tx = left + plot * share_threshold
    out.append(f'<line x1="{tx:.1f}" y1="{top - 10}" x2="{tx:.1f}" y2="{height - 26}" stroke="{LOW}" '
               f'stroke-width="1.5" stroke-dasharray="5 4"/>')
    out.append(f'<text x="{tx:.1f}" y="{top - 14}" text-anchor="middle" fill="{LOW}">'
               f'rule: {share_threshold:.0%} with ≥ {min_articles} article{"s" if min_articles != 1 else ""}</text>')
    return _svg(width, height, out, "Share of each provider's articles that are flagged")


def _bin_color(i: int, bins: int) -> str:
    """Green for low scores through amber to red for high ones."""
    t = i / max(1, bins - 1)
    stops = ((0.0, (46, 139, 87)), (0.5, (224, 138, 0)), (1.0, (179, 38, 30)))
    for (t0, c0), (t1, c1) in zip(stops, stops[1:], strict=False):
        if t <= t1:
            f = (t - t0) / (t1 - t0)
            r, g, b = (round(a + (b_ - a) * f) for a, b_ in zip(c0, c1, strict=True))
            return f"#{r:02x}{g:02x}{b:02x}"
    return "#b3261e"


def score_distribution_chart(providers: list[ProviderStats], suspect: float, spun: float,
                             width: int = 860) -> str:
    """One histogram row per provider: how many of its articles fall in each score bin."""
    bins = HISTOGRAM_BINS
    row, top, left, right = 34, 34, 230, 70
    plot = width - left - right
    bw = plot / bins
    height = top + row * max(1, len(providers)) + 30
    out = []
    for i in range(bins + 1):
        x = left + bw * i
        out.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 26}" stroke="{GRID}"/>')
        out.append(f'<text x="{x:.1f}" y="{height - 10}" text-anchor="middle" fill="{MUTED}">'
                   f'{i / bins:.1f}</text>')
    for value, name in ((suspect, "suspect"), (spun, "spun")):
        x = left + plot * value
        out.append(f'<line x1="{x:.1f}" y1="{top - 10}" x2="{x:.1f}" y2="{height - 26}" stroke="{TEXT}" '
                   f'stroke-dasharray="3 3"/>')
        out.append(f'<text x="{x + 3:.1f}" y="{top - 14}" fill="{TEXT}">{name} ≥ {value:.2f}</text>')
    for i, p in enumerate(providers):
        y = top + i * row
        peak = max(p.histogram) or 1
        out.append(f'<text x="{left - 8}" y="{y + row / 2 + 4:.1f}" text-anchor="end" fill="{TEXT}">'
                   f'<title>{esc(p.name)}</title>{esc(_label(p.name))}</text>')
        base = y + row - 3
        out.append(f'<line x1="{left}" y1="{base}" x2="{left + plot}" y2="{base}" stroke="{GRID}"/>')
        for b, count in enumerate(p.histogram):
            if not count:
                continue
            h = (row - 8) * count / peak
            lo, hi = b / bins, (b + 1) / bins
            tip = f"{p.name}: {count} article{'s' if count != 1 else ''} scored {lo:.1f}–{hi:.1f}"
            out.append(f'<rect x="{left + b * bw + 2:.1f}" y="{y + row - 3 - h:.1f}" width="{bw - 4:.1f}" '
                       f'height="{h:.1f}" fill="{_bin_color(b, bins)}"><title>{esc(tip)}</title></rect>')
            # the count itself, readable without hovering: above a short bar, inside a tall one
            inside = h >= 14
            ty = y + row - 3 - h + (11 if inside else -2)
            out.append(f'<text x="{left + b * bw + bw / 2:.1f}" y="{ty:.1f}" text-anchor="middle" font-size="10" '
                       f'fill="{"#fff" if inside else TEXT}">{count}</text>')
        out.append(f'<text x="{left + plot + 8}" y="{y + row / 2 + 4:.1f}" fill="{MUTED}">'
                   f'n={p.articles}</text>')
    return _svg(width, height, out, "Article score distribution per provider")
