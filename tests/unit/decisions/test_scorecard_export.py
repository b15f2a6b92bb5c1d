"""The scorecard trained with optbinning, exported to JDM, scores every row of the generated demo
data set exactly as optbinning does; PSI bands."""

from __future__ import annotations

import pytest

from zhanye.decisions import dataset, jdm, scorecard


def test_export_matches_optbinning_on_every_row():
    pytest.importorskip("optbinning")
    res = scorecard.train(dataset.DATA_FILE, target="default_flag")
    jdm.parse_and_validate(res.graph())  # a valid graph our upload check accepts
    same, total = scorecard.check_export(res)
    assert total == 6000 and same == total
    assert res.gini > 0.3 and res.ks > 0.2
    # a missing value takes the Missing row's points
    missing_row = {v: 1 for v in res.variables} | {res.variables[0]: None}
    assert isinstance(scorecard.jdm_scores(res.graph(), [missing_row])[0], int | float)


def test_psi_bands():
    base = [float(i % 100) for i in range(5000)]
    same, _ = scorecard.psi(base, base, scorecard.quantile_edges(base))
    shifted, bins = scorecard.psi(base, [v + 40 for v in base], scorecard.quantile_edges(base))
    assert scorecard.band(same) == "stable" and same < 1e-9
    assert scorecard.band(shifted) == "shift" and len(bins) == 10
    assert scorecard.band(0.15) == "watch"


def test_special_and_missing_rows_match_optbinning(tmp_path):
    pytest.importorskip("optbinning")
    import csv

    rows = dataset.load()[:3000]
    for i, r in enumerate(rows):
        if i % 10 == 0:
            r["past_overdue_days"] = -1  # a special code: "unknown, bureau not reachable"
        if i % 17 == 0:
            r["land_mu"] = ""  # missing
    path = tmp_path / "households.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=dataset.COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    res = scorecard.train(path, target="default_flag", special_codes=[-1])
    card = {c["name"]: c for c in res.card}
    assert card["past_overdue_days"]["bins"][1][0] == "$ == -1"
    assert card["land_mu"]["bins"][0][0] == "$ == null"
    same, total = scorecard.check_export(res)
    assert total == 3000 and same == total
