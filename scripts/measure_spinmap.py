"""Measure US202 alone on clean text: false flags per 1,000 words, with the flagged swaps.

    python scripts/measure_spinmap.py [--reuters 5000]

Wikinews DEV split (the model never trained on it) and the first N Reuters-21578 stories (research
use only: measurement, never a model input). The numbers go into models/MODEL_CARD.md.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from build_generic_data import load_reuters, load_wikinews  # noqa: E402

from unspin.detect.spinmap import spinmap_findings  # noqa: E402
from unspin.findings import FindingBuilder  # noqa: E402
from unspin.text import MatchStream  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reuters", type=int, default=5000, help="Reuters stories (0: none)")
    ap.add_argument("--top", type=int, default=15, help="most frequent flagged swaps to list")
    args = ap.parse_args()
    sets = [("Wikinews DEV", load_wikinews("dev"))]
    if args.reuters:
        sets.append((f"Reuters-21578 first {args.reuters}", load_reuters(args.reuters)))
    print("| clean set | words | flags | per 1,000 words |\n| --- | ---: | ---: | ---: |")
    swaps: dict[str, Counter] = {}
    for name, docs in sets:
        words = flags = 0
        seen: Counter = Counter()
        for d in docs:
            stream = MatchStream(d.text, d.segments)
            words += stream.word_count
            found = spinmap_findings(d, stream, FindingBuilder(d))
            flags += len(found)
            seen.update(f"{f.text.lower()} -> {f.suggestions[0].text}" for f in found)
        swaps[name] = seen
        print(f"| {name} | {words:,} | {flags} | {1000 * flags / max(1, words):.3f} |")
    for name, seen in swaps.items():
        print(f"\n{name}, most frequent flags: " + "; ".join(f"{k} ({n})" for k, n in seen.most_common(args.top)))


if __name__ == "__main__":
    main()
