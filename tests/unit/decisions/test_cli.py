"""`zhanye scorecard train` prints the table, Gini/KS and proves the JDM export on every row."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from zhanye.cli import app
from zhanye.decisions import dataset, jdm


def test_scorecard_train_exports_a_matching_jdm(tmp_path):
    pytest.importorskip("optbinning")
    out = tmp_path / "card.json"
    result = CliRunner().invoke(app, ["scorecard", "train", str(dataset.DATA_FILE), "--target", "default_flag",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Gini" in result.output and "KS" in result.output
    assert "6000/6000" in result.output
    jdm.parse_and_validate(json.loads(out.read_text(encoding="utf-8")))


def test_scorecard_train_refuses_an_unknown_target(tmp_path):
    result = CliRunner().invoke(app, ["scorecard", "train", str(dataset.DATA_FILE), "--target", "nope"])
    assert result.exit_code != 0 and "nope" in result.output
