"""The joint false-flag budget of US201/US202/US203 (evaluation.slot_budget) and the `slots` eval suite."""

from __future__ import annotations

from evaluation import datasets as ds
from evaluation.slot_budget import RULES, Budget
from evaluation.spinner import Substitution


def _sample(n_subs: int) -> ds.Sample:
    subs = tuple(Substitution(10 * i, 10 * i + 5, "orig", "spun") for i in range(n_subs))
    return ds.Sample("s", "t", "x", 0.1, "x" * (10 * n_subs + 5), subs)


def _budget() -> Budget:
    # clean news: 10,000 words; each rule has false flags at these scores
    clean = [[("US201", 0, 1, s, "") for s in (5.0, 4.0, 3.0)]
             + [("US202", 0, 1, s, "") for s in (2.0, 1.5, 1.0)]
             + [("US203", 0, 1, s, "") for s in (0.99, 0.98, 0.97)]]
    spun = _sample(6)
    # US201 finds span 0 only above 4.5; US202 finds spans 1-4 at 1.2 and above; US203 span 5 at 0.975
    raw = [[("US201", 0, 5, 4.6, "orig"), ("US202", 10, 15, 1.6, "orig"), ("US202", 20, 25, 1.6, "x"),
            ("US202", 30, 35, 1.2, "orig"), ("US202", 40, 45, 1.2, "orig"), ("US203", 50, 55, 0.975, "orig")]]
    return Budget(clean, 10_000, {"set": ([spun], raw)})


def test_union_recall_and_first_suggestion_are_counted_per_span():
    b = _budget()
    thr = {"US201": 4.5, "US202": 1.1, "US203": 0.99}
    rec = b.recall(thr)["set"]
    assert rec["recall"] == 5 / 6 and rec["right"] == 4 / 6
    assert b.flags(thr) == {"US201": 0.1, "US202": 0.2, "US203": 0.1}


def test_search_spends_the_budget_where_it_finds_most():
    b = _budget()
    floor = dict.fromkeys(RULES, -10.0)
    # 0.3 per 1k on 10,000 words: 3 false flags in all; US202 with two flags finds four spans
    thr, obj = b.search(0.3, floor)
    assert sum(b.flags(thr).values()) <= 0.3 + 1e-9
    assert obj == 5 / 6
    assert b.flags(thr)["US202"] == 0.2
    # with no budget nothing passes
    thr0, obj0 = b.search(0.0, floor)
    assert sum(b.flags(thr0).values()) == 0 and obj0 == 0.0


def test_slots_suite_is_offered_by_unspin_eval():
    from evaluation import harness
    from unspin.commands.eval import SUITE_CHOICES

    assert "slots" in SUITE_CHOICES and "slots" in harness.SUITES


def test_search_one_moves_only_that_rule_within_what_the_others_leave():
    from evaluation.slot_budget import RULES, Budget

    b = Budget.__new__(Budget)
    import numpy as np

    b.np, b.words = np, 10_000  # budget 0.5/1k: 5 clean flags in all
    b.clean = {"US201": np.array([9.0, 8.0, 7.0]), "US202": np.array([5.0, 4.0, 3.0, 2.0, 1.0]),
               "US203": np.array([0.99])}
    # US202's spun hits: a higher score finds more spans
    b.sets = {"s": (4, {"US201": [], "US202": [(4.5, 0, True), (3.5, 1, True), (2.5, 2, False), (0.5, 3, True)],
                        "US203": []})}
    shipped = {"US201": 7.5, "US202": 4.5, "US203": 0.995}  # US201 spends 2 flags, US203 none
    thr, obj = b.search_one("US202", 0.5, shipped, dict.fromkeys(RULES, -99.0))
    assert thr["US201"] == shipped["US201"] and thr["US203"] == shipped["US203"]
    assert thr["US202"] == 2.0 + 1e-6  # 3 flags left: 5, 4, 3 pass
    assert obj == 0.75
