"""Build a synthetic provider feed from the project's fixture articles, for ``unspin report``.

    python benchmarks/make_feed.py --items 1000 --out /tmp/feed-1k
    python benchmarks/make_feed.py --items 10000 --out /tmp/feed-10k.jsonl --format jsonl

Several fictional providers republish the fixture articles (fixtures/articles/<topic>/*.md). Some
providers are clean (articles as written); others run part of what they publish through the
evaluation spinners (``ThesaurusSpinner``, ``WordNetSpinner``) at various rates. Every item has front
matter with provider name and domain, quality, heat and related items (ids of other items on the same
topic). A ``manifest.json`` next to the items (or ``<feed>.manifest.json`` for JSONL) records the ground
truth: which items were spun, by which spinner and at what rate. The same arguments give the same feed.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the evaluation/ package (not in the wheel)


@dataclass(frozen=True)
class ProviderPlan:
    name: str
    domain: str
    weight: float  # share of the feed's items
    spun_share: float  # share of this provider's items that are spun
    spinners: tuple[str, ...] = ()  # which spinners it uses
    rates: tuple[float, float] = (0.0, 0.0)  # spin rate drawn uniformly from this range
    quality: float = 0.9  # the feed's own quality field (a noisy editorial rating)


PROVIDERS = (
    ProviderPlan("Northgate Times", "northgatetimes.example", 0.18, 0.0, quality=0.92),
    ProviderPlan("Harbour Ledger", "harbourledger.example", 0.16, 0.0, quality=0.9),
    ProviderPlan("Civic Desk", "civicdesk.example", 0.12, 0.0, quality=0.87),
    ProviderPlan("Metro Roundup", "metroroundup.example", 0.12, 0.15, ("thesaurus",), (0.05, 0.12), 0.74),
    ProviderPlan("Quick News Digest", "quicknewsdigest.example", 0.14, 0.5, ("thesaurus", "wordnet"),
                 (0.1, 0.3), 0.55),
    ProviderPlan("Daily Buzz Hub", "dailybuzzhub.example", 0.14, 0.9, ("thesaurus",), (0.2, 0.45), 0.41),
    ProviderPlan("TrendWire Now", "trendwirenow.example", 0.14, 0.85, ("wordnet",), (0.2, 0.45), 0.38),
)

_FM_RE = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*\r?\n", re.S)


@dataclass(frozen=True)
class Fixture:
    topic: str
    slug: str
    title: str
    excerpt: str
    body: str


def load_fixtures(root: Path) -> list[Fixture]:
    out = []
    for path in sorted(root.glob("*/*.md")):
        text = path.read_text(encoding="utf-8")
        m = _FM_RE.match(text)
        meta = yaml.safe_load(m.group(1)) if m else {}
        body = text[m.end():] if m else text
        out.append(Fixture(topic=path.parent.name, slug=path.stem, title=str(meta.get("title") or path.stem),
                           excerpt=str(meta.get("excerpt") or ""), body=body.strip() + "\n"))
    if not out:
        raise SystemExit(f"make_feed: no fixture articles under {root}")
    return out


def make_spinners() -> dict:
    from evaluation.thesaurus_spinner import ThesaurusSpinner
    from evaluation.wordnet_spinner import WordNetSpinner

    return {"thesaurus": ThesaurusSpinner(), "wordnet": WordNetSpinner()}


def build_items(n: int, seed: int, fixtures: list[Fixture]) -> list[dict]:
    """The feed as a list of item dicts (front matter fields, body and ground truth)."""
    rng = random.Random(seed)
    spinners = make_spinners()
    weights = [p.weight for p in PROVIDERS]
    plans = rng.choices(PROVIDERS, weights=weights, k=n)
    items: list[dict] = []
    by_topic: dict[str, list[str]] = {}
    for i, plan in enumerate(plans):
        fx = fixtures[rng.randrange(len(fixtures))]
        item_id = f"item-{i:05d}"
        title, excerpt, body = fx.title, fx.excerpt, fx.body
        truth = {"spun": False}
        if plan.spinners and rng.random() < plan.spun_share:
            name = rng.choice(plan.spinners)
            rate = round(rng.uniform(*plan.rates), 3)
            spinner = spinners[name]
            body = spinner.spin(body, rate, rng).text
            title = spinner.spin(title, rate, rng).text
            excerpt = spinner.spin(excerpt, rate, rng).text if excerpt else excerpt
            truth = {"spun": True, "spinner": name, "rate": rate}
        earlier = by_topic.setdefault(fx.topic, [])
        related = rng.sample(earlier[-20:], k=min(len(earlier[-20:]), rng.randint(0, 3)))
        earlier.append(item_id)
        quality = min(1.0, max(0.0, rng.gauss(plan.quality, 0.05) - (0.1 if truth["spun"] else 0.0)))
        day = 1 + i % 28
        items.append({
            "id": item_id,
            "title": title,
            "excerpt": excerpt,
            "provider": {"name": plan.name, "domain": plan.domain},
            "webUrl": f"https://{plan.domain}/2026/06/{fx.slug}-{i}",
            "publishedDateTime": f"2026-06-{day:02d}T{rng.randint(6, 22):02d}:{rng.randint(0, 59):02d}:00Z",
            "quality": round(quality, 3),
            "heat": rng.randint(0, 100),
            "related": related,
            "topic": fx.topic,
            "_body": body,
            "_truth": {"id": item_id, "provider": plan.name, "fixture": f"{fx.topic}/{fx.slug}", **truth},
        })
    return items


def write_markdown(items: list[dict], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for item in items:
        meta = {k: v for k, v in item.items() if not k.startswith("_")}
        folder = out / meta["provider"]["domain"].split(".")[0]
        folder.mkdir(exist_ok=True)
        fm = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=10**6)
        (folder / f"{item['id']}.md").write_text(f"---\n{fm}---\n\n{item['_body']}", encoding="utf-8")
    (out / "manifest.json").write_text(json.dumps([i["_truth"] for i in items], indent=1) + "\n",
                                       encoding="utf-8")


def write_jsonl(items: list[dict], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8") as fh:
        for item in items:
            rec = {k: v for k, v in item.items() if not k.startswith("_")}
            rec["url"] = rec.pop("webUrl")
            rec["published"] = rec.pop("publishedDateTime")
            rec["text"] = item["_body"]
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    out.with_suffix(".manifest.json").write_text(json.dumps([i["_truth"] for i in items], indent=1) + "\n",
                                                 encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=1000, help="number of feed items (default 1000)")
    ap.add_argument("--out", type=Path, required=True, help="folder for Markdown items, or a .jsonl file")
    ap.add_argument("--format", choices=("md", "jsonl"), help="default: jsonl when --out ends in .jsonl")
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--fixtures", type=Path, default=REPO / "fixtures" / "articles")
    args = ap.parse_args(argv)
    if args.items < 1:
        ap.error("--items must be at least 1")
    fmt = args.format or ("jsonl" if args.out.suffix == ".jsonl" else "md")
    items = build_items(args.items, args.seed, load_fixtures(args.fixtures))
    (write_jsonl if fmt == "jsonl" else write_markdown)(items, args.out)
    spun = sum(1 for i in items if i["_truth"]["spun"])
    print(f"make_feed: {len(items)} items ({spun} spun) from {len(PROVIDERS)} providers -> {args.out}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
