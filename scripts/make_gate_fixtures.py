"""Write fixtures/gate/: spun copies of our own fixture articles, for the archive gate's tests.

    python scripts/make_gate_fixtures.py

Originals are articles of fixtures/articles (written by this project). Every copy is the original's
Markdown with the body (and the excerpt) spun by one of the evaluation's spinners, deterministic
(seeded), under another provider ("Spin Farm", spinfarm.example) and URL:

- copies/: the thesaurus spinner at rate 0.3, of the ORIGINALS below;
- later/: the WordNet spinner at rate 0.3 (another spinner, another seed), of the same originals;
- unsourced/: the thesaurus spinner at rate 0.8, of the UNSOURCED articles, which the tests never
  archive (heavily spun, no source).
"""

from __future__ import annotations

import hashlib
import random
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO))  # the evaluation/ package

ARTICLES = REPO / "fixtures" / "articles"
OUT = REPO / "fixtures" / "gate"
ORIGINALS = ("business/airline-profit-warning.md", "courts-crime/farm-machinery-gang-jailed.md",
             "environment/glen-arrach-peatland-restoration.md", "health/hospital-waiting-list.md",
             "politics/press-secretary-resigns.md", "science/sodium-battery-coating.md")
UNSOURCED = ("business/coffee-roaster-prices.md", "environment/castlebridge-emissions-inventory.md",
             "health/antibiotic-prescribing-trial.md")
SETS = {"copies": ("thesaurus", 0.3, ORIGINALS), "later": ("wordnet", 0.3, ORIGINALS),
        "unsourced": ("thesaurus", 0.8, UNSOURCED)}


def spin_markdown(text: str, spinner, rate: float, rng: random.Random) -> str:
    head_end = text.index("\n---\n", 3) + 5
    head, body = text[:head_end], text[head_end:]
    head = re.sub(r'webUrl: "https://[^/]+/', 'webUrl: "https://spinfarm.example/', head)
    head = re.sub(r'(provider:\n  name: )"[^"]*"\n  domain: "[^"]*"', r'\1"Spin Farm"\n  domain: "spinfarm.example"',
                  head)
    excerpt = re.search(r'^excerpt: "(.*)"$', head, re.M)
    if excerpt:
        spun = spinner.spin(excerpt.group(1), rate, rng).text.replace('"', "'")
        head = head[: excerpt.start(1)] + spun + head[excerpt.end(1) :]
    return head + spinner.spin(body, rate, rng).text


def main() -> None:
    from evaluation.datasets import spinners

    made = spinners(("thesaurus", "wordnet"))
    for folder, (name, rate, paths) in SETS.items():
        out = OUT / folder
        out.mkdir(parents=True, exist_ok=True)
        for rel in paths:
            src = ARTICLES / rel
            seed = int.from_bytes(hashlib.sha1(f"gate|{folder}|{rel}".encode()).digest()[:8], "big")
            text = spin_markdown(src.read_text(encoding="utf-8"), made[name], rate, random.Random(seed))
            (out / Path(rel).name).write_text(text, encoding="utf-8")
            print(f"{out / Path(rel).name}: {name} {rate}")


if __name__ == "__main__":
    main()
