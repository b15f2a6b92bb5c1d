"""The built-in strategies: key, schemas (the contract lending relies on), JDM graph, test suite.

Contracts (outputs; every field listed is always present):

- ``loan.admission`` 准入 → ``{"decision": "approve"|"refer"|"decline", "reasons": [code...],
  "age_at_maturity": number, "dti": number}``. Codes: BLACKLISTED, IDENTITY_UNVERIFIED,
  CURRENT_OVERDUE, AGE_UNDER_18, AGE_OVER_65_AT_MATURITY, DTI_OVER_70, DTI_OVER_50.
- ``fraud.pre_check`` 反欺诈预检 → ``{"decision": "pass"|"review"|"reject", "risk_level":
  "low"|"medium"|"high", "reasons": [...]}``.
- ``loan.rating`` 评分卡评级 → ``{"score": integer, "rating": "A".."E", "points": {variable: n}}``.
- ``loan.limit_pricing`` 额度定价 → ``{"decision": "approve"|"refer"|"decline", "limit_fen": integer,
  "spread_bps": integer, "term_months_max": integer, "reasons": [...]}``; the annual rate is
  ``lpr + spread_bps / 10000`` computed by the caller in Decimal (``lpr`` is an input string).
- ``village.precredit`` 整村预授信 → ``{"decision": "grant"|"refer"|"decline", "limit_fen": integer,
  "reasons": [...]}``.
- ``fraud.transfer`` 转账风控 → ``{"action": "allow"|"review"|"block", "score": integer, "reasons": [...]}``.
- ``loan.assess`` (admission + rating + pricing in one graph through sub-decisions) →
  ``{"decision", "reasons", "score", "rating", "limit_fen", "spread_bps", "term_months_max"}``.
"""

from __future__ import annotations

from typing import Any

from zhanye.decisions.strategies.builder import (
    chain,
    expression,
    result,
    scorecard_nodes,
    sub_decision,
    table,
)

FEN = {"type": "integer", "minimum": 0, "maximum": 10**13}
REASONS = {"type": "array", "items": {"type": "string"}}


def _obj(props: dict[str, Any], required: list[str] | None = None, *, extra: bool = False) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": required if required is not None else list(props),
            "additionalProperties": extra}


# --- loan.admission ----------------------------------------------------------------------------

ADMISSION_IN = _obj({
    "age": {"type": "integer", "minimum": 0, "maximum": 120},
    "term_months": {"type": "integer", "minimum": 1, "maximum": 360},
    "blacklisted": {"type": "boolean"},
    "identity_verified": {"type": "boolean"},
    "current_overdue_days": {"type": "integer", "minimum": 0},
    "monthly_income_fen": FEN,
    "monthly_debt_payment_fen": FEN,
    "customer_id": {"type": ["integer", "string"]},
}, ["age", "term_months", "blacklisted", "identity_verified", "current_overdue_days", "monthly_income_fen",
    "monthly_debt_payment_fen"])
ADMISSION_OUT = _obj({"decision": {"enum": ["approve", "refer", "decline"]}, "reasons": REASONS,
                      "age_at_maturity": {"type": "number"}, "dti": {"type": "number"}})


def admission_graph() -> dict[str, Any]:
    return chain(
        expression("derive", "Derived facts", [
            ("age_at_maturity", "age + term_months / 12"),
            ("dti", "monthly_income_fen > 0 ? round(monthly_debt_payment_fen / monthly_income_fen * 1000) / 1000 : 99"),
        ]),
        expression("checks", "Reason codes", [("reasons", "filter(["
            "blacklisted ? 'BLACKLISTED' : null, "
            "identity_verified ? null : 'IDENTITY_UNVERIFIED', "
            "current_overdue_days > 0 ? 'CURRENT_OVERDUE' : null, "
            "age < 18 ? 'AGE_UNDER_18' : null, "
            "age_at_maturity > 65 ? 'AGE_OVER_65_AT_MATURITY' : null, "
            "dti > 0.7 ? 'DTI_OVER_70' : (dti > 0.5 ? 'DTI_OVER_50' : null)"
            "], # != null)")]),
        table("decide", "Admission", [("Blacklisted", "blacklisted"), ("Identity verified", "identity_verified"),
                                      ("Overdue days", "current_overdue_days"), ("Age", "age"),
                                      ("Age at maturity", "age_at_maturity"), ("DTI", "dti")],
              [("Decision", "decision")], [
                  ["true", "", "", "", "", "", '"decline"'],
                  ["", "", "> 0", "", "", "", '"decline"'],
                  ["", "", "", "< 18", "", "", '"decline"'],
                  ["", "", "", "", "> 65", "", '"decline"'],
                  ["", "", "", "", "", "> 0.7", '"decline"'],
                  ["", "false", "", "", "", "", '"refer"'],
                  ["", "", "", "", "", "> 0.5", '"refer"'],
                  ["", "", "", "", "", "", '"approve"'],
              ], descriptions=["黑名单拒绝", "当前逾期拒绝", "未满18岁拒绝", "到期超65岁拒绝", "负债收入比>70%拒绝",
                               "身份未核验转人工", "负债收入比>50%转人工", "其余准入"]),
        result([("decision", "decision"), ("reasons", "reasons"), ("age_at_maturity", "age_at_maturity"),
                ("dti", "dti")]),
    )


_ADM_OK = {"age": 35, "term_months": 12, "blacklisted": False, "identity_verified": True,
           "current_overdue_days": 0, "monthly_income_fen": 800000, "monthly_debt_payment_fen": 200000}


def _with(base: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return {**base, **kw}


ADMISSION_CASES = [
    ("approve a clean applicant", _ADM_OK, {"decision": "approve", "reasons": []}),
    ("decline blacklisted", _with(_ADM_OK, blacklisted=True), {"decision": "decline", "reasons": ["BLACKLISTED"]}),
    ("decline current overdue", _with(_ADM_OK, current_overdue_days=5), {"decision": "decline"}),
    ("decline under 18", _with(_ADM_OK, age=17), {"decision": "decline", "reasons": ["AGE_UNDER_18"]}),
    ("decline over 65 at maturity", _with(_ADM_OK, age=64, term_months=24),
     {"decision": "decline", "reasons": ["AGE_OVER_65_AT_MATURITY"]}),
    ("approve exactly 65 at maturity", _with(_ADM_OK, age=64, term_months=12), {"decision": "approve"}),
    ("refer unverified identity", _with(_ADM_OK, identity_verified=False),
     {"decision": "refer", "reasons": ["IDENTITY_UNVERIFIED"]}),
    ("refer dti 60%", _with(_ADM_OK, monthly_debt_payment_fen=480000), {"decision": "refer", "dti": 0.6}),
    ("decline dti 80%", _with(_ADM_OK, monthly_debt_payment_fen=640000),
     {"decision": "decline", "reasons": ["DTI_OVER_70"]}),
    ("decline no income", _with(_ADM_OK, monthly_income_fen=0), {"decision": "decline"}),
]

# --- fraud.pre_check ---------------------------------------------------------------------------

PRECHECK_IN = _obj({
    "device_risk_score": {"type": "integer", "minimum": 0, "maximum": 100},
    "id_phone_match": {"type": "boolean"},
    "applications_last_30d": {"type": "integer", "minimum": 0},
    "on_watchlist": {"type": "boolean"},
    "customer_id": {"type": ["integer", "string"]},
}, ["device_risk_score", "id_phone_match", "applications_last_30d", "on_watchlist"])
PRECHECK_OUT = _obj({"decision": {"enum": ["pass", "review", "reject"]},
                     "risk_level": {"enum": ["low", "medium", "high"]}, "reasons": REASONS})


def precheck_graph() -> dict[str, Any]:
    return chain(
        expression("checks", "Signals", [("reasons", "filter(["
            "on_watchlist ? 'WATCHLIST' : null, "
            "device_risk_score >= 80 ? 'DEVICE_HIGH_RISK' : (device_risk_score >= 50 ? 'DEVICE_MEDIUM_RISK' : null), "
            "id_phone_match ? null : 'ID_PHONE_MISMATCH', "
            "applications_last_30d >= 5 ? 'MANY_APPLICATIONS' : null"
            "], # != null)")]),
        table("decide", "Fraud pre-check", [("Watchlist", "on_watchlist"), ("Device risk", "device_risk_score"),
                                            ("ID-phone match", "id_phone_match"), ("Applications 30d", "applications_last_30d")],
              [("Decision", "decision"), ("Risk level", "risk_level")], [
                  ["true", "", "", "", '"reject"', '"high"'],
                  ["", ">= 80", "", "", '"reject"', '"high"'],
                  ["", ">= 50", "", "", '"review"', '"medium"'],
                  ["", "", "false", "", '"review"', '"medium"'],
                  ["", "", "", ">= 5", '"review"', '"medium"'],
                  ["", "", "", "", '"pass"', '"low"'],
              ]),
        result([("decision", "decision"), ("risk_level", "risk_level"), ("reasons", "reasons")]),
    )


_PC_OK = {"device_risk_score": 10, "id_phone_match": True, "applications_last_30d": 1, "on_watchlist": False}
PRECHECK_CASES = [
    ("pass a clean request", _PC_OK, {"decision": "pass", "risk_level": "low", "reasons": []}),
    ("reject watchlist", _with(_PC_OK, on_watchlist=True), {"decision": "reject", "reasons": ["WATCHLIST"]}),
    ("reject risky device", _with(_PC_OK, device_risk_score=85), {"decision": "reject", "risk_level": "high"}),
    ("review medium device", _with(_PC_OK, device_risk_score=60), {"decision": "review"}),
    ("review phone mismatch", _with(_PC_OK, id_phone_match=False),
     {"decision": "review", "reasons": ["ID_PHONE_MISMATCH"]}),
    ("review many applications", _with(_PC_OK, applications_last_30d=6), {"decision": "review"}),
]

# --- loan.rating (scorecard) -------------------------------------------------------------------

RATING_VARS = ["age", "land_mu", "annual_income_fen", "livestock", "existing_debt_fen", "past_overdue_days"]
RATING_IN = _obj({
    "age": {"type": "integer", "minimum": 0, "maximum": 120},
    "land_mu": {"type": "number", "minimum": 0},
    "annual_income_fen": FEN,
    "livestock": {"type": "integer", "minimum": 0},
    "existing_debt_fen": FEN,
    "past_overdue_days": {"type": "integer", "minimum": 0},
    "customer_id": {"type": ["integer", "string"]},
}, RATING_VARS)
RATING_OUT = _obj({"score": {"type": "integer"}, "rating": {"enum": ["A", "B", "C", "D", "E"]},
                   "points": {"type": "object"}})

# Points per bin (a hand-set demo card; `zhanye scorecard train` produces a fitted one the same way).
DEMO_CARD = [
    {"name": "age", "label": "年龄", "bins": [("< 25", "20"), ("[25..35)", "35"), ("[35..50)", "45"),
                                            ("[50..60)", "38"), ("", "25")]},
    {"name": "land_mu", "label": "耕地(亩)", "bins": [("< 3", "20"), ("[3..10)", "35"), ("[10..30)", "48"), ("", "55")]},
    {"name": "annual_income_fen", "label": "年收入", "bins": [("< 3000000", "15"), ("[3000000..6000000)", "32"),
                                                            ("[6000000..12000000)", "48"), ("", "60")]},
    {"name": "livestock", "label": "牲畜(头)", "bins": [("0", "25"), ("[1..10)", "35"), ("", "42")]},
    {"name": "existing_debt_fen", "label": "现有负债", "bins": [("0", "50"), ("< 5000000", "40"),
                                                              ("< 20000000", "25"), ("", "10")]},
    {"name": "past_overdue_days", "label": "历史逾期天数", "bins": [("0", "60"), ("< 30", "35"), ("< 90", "10"),
                                                                ("", "-20")]},
]


def rating_graph(card: list[dict[str, Any]] | None = None, base_points: str = "400") -> dict[str, Any]:
    return chain(
        *scorecard_nodes(card or DEMO_CARD, base_points=base_points),
        table("grade", "Rating", [("Score", "score")], [("Rating", "rating")], [
            [">= 680", '"A"'], [">= 630", '"B"'], [">= 580", '"C"'], [">= 530", '"D"'], ["", '"E"']]),
        result([("score", "round(score)"), ("rating", "rating"), ("points", "points")]),
    )


_RT = {"age": 40, "land_mu": 12, "annual_income_fen": 8000000, "livestock": 5, "existing_debt_fen": 0,
       "past_overdue_days": 0}
RATING_CASES = [
    ("strong household rates A", _RT, {"score": 686, "rating": "A"}),
    ("young low-income household", _with(_RT, age=22, land_mu=1, annual_income_fen=2000000, livestock=0),
     {"score": 590, "rating": "C"}),
    ("past overdue drags down", _with(_RT, past_overdue_days=120, existing_debt_fen=30000000),
     {"score": 566, "rating": "D"}),
    ("points per variable", _RT, {"points": {"age": 45, "land_mu": 48, "annual_income_fen": 48, "livestock": 35,
                                             "existing_debt_fen": 50, "past_overdue_days": 60}}),
]

# --- loan.limit_pricing ------------------------------------------------------------------------

PRICING_IN = _obj({
    "rating": {"enum": ["A", "B", "C", "D", "E"]},
    "guarantee_type": {"enum": ["credit", "guarantor", "collateral", "pledge"]},
    "annual_income_fen": FEN,
    "requested_fen": {"type": "integer", "minimum": 100000, "maximum": 10**11},
    "lpr": {"type": "string", "pattern": r"^0\.\d{1,6}$"},
    "customer_id": {"type": ["integer", "string"]},
}, ["rating", "guarantee_type", "annual_income_fen", "requested_fen", "lpr"])
PRICING_OUT = _obj({"decision": {"enum": ["approve", "refer", "decline"]}, "limit_fen": {"type": "integer"},
                    "spread_bps": {"type": "integer"}, "term_months_max": {"type": "integer"}, "reasons": REASONS})


def pricing_graph() -> dict[str, Any]:
    g = ["credit", "guarantor", "collateral", "pledge"]
    # rating, guarantee -> income multiple (x10), cap (fen), spread (bps), max term (months)
    grid = {"A": (30, 30000000, 40, 36), "B": (25, 20000000, 80, 36), "C": (20, 10000000, 130, 24),
            "D": (10, 5000000, 200, 12)}
    bonus = {"credit": (0, 0, 0), "guarantor": (5, 10000000, -10), "collateral": (10, 50000000, -30),
             "pledge": (10, 50000000, -40)}
    rules = []
    for rating, (mult, cap, spread, term) in grid.items():
        for gt in g:
            b = bonus[gt]
            rules.append([f'"{rating}"', f'"{gt}"', str(mult + b[0]), str(cap + b[1]), str(spread + b[2]), str(term)])
    rules.append(['"E"', "", "0", "0", "0", "0"])
    return chain(
        table("grid", "Limit and spread grid", [("Rating", "rating"), ("Guarantee", "guarantee_type")],
              [("Income multiple x10", "multiple_x10"), ("Cap (fen)", "cap_fen"), ("Spread (bps)", "spread_bps"),
               ("Max term (months)", "term_months_max")], rules),
        expression("income", "Income limit", [
            ("income_limit_fen", "floor(annual_income_fen * multiple_x10 / 10 / 100000) * 100000"),
        ]),
        expression("limit", "Limit", [("limit_fen", "min([requested_fen, income_limit_fen, cap_fen])")]),
        table("decide", "Decision", [("Rating", "rating"), ("Limit", "limit_fen"), ("Requested", "requested_fen")],
              [("Decision", "decision"), ("Reasons", "reasons")], [
                  ['"E"', "", "", '"decline"', '["RATING_E"]'],
                  ["", "< 1000000", "", '"decline"', '["LIMIT_TOO_LOW"]'],
                  ['"D"', "", "", '"refer"', '["RATING_D"]'],
                  ["", "", "", '"approve"', "limit_fen < requested_fen ? ['LIMIT_REDUCED'] : []"],
              ]),
        result([("decision", "decision"), ("limit_fen", "decision == 'decline' ? 0 : limit_fen"),
                ("spread_bps", "spread_bps"), ("term_months_max", "term_months_max"), ("reasons", "reasons")]),
    )


_PR = {"rating": "A", "guarantee_type": "credit", "annual_income_fen": 10000000, "requested_fen": 20000000,
       "lpr": "0.0310"}
PRICING_CASES = [
    ("A credit full request", _PR, {"decision": "approve", "limit_fen": 20000000, "spread_bps": 40,
                                    "term_months_max": 36, "reasons": []}),
    ("A credit capped by income", _with(_PR, requested_fen=50000000),
     {"decision": "approve", "limit_fen": 30000000, "reasons": ["LIMIT_REDUCED"]}),
    ("B collateral lower spread", _with(_PR, rating="B", guarantee_type="collateral"),
     {"decision": "approve", "spread_bps": 50}),
    ("C guarantor", _with(_PR, rating="C", guarantee_type="guarantor", requested_fen=40000000),
     {"limit_fen": 20000000, "spread_bps": 120, "term_months_max": 24}),
    ("D refers", _with(_PR, rating="D"), {"decision": "refer", "reasons": ["RATING_D"], "term_months_max": 12}),
    ("E declines", _with(_PR, rating="E"), {"decision": "decline", "limit_fen": 0, "reasons": ["RATING_E"]}),
    ("tiny income declines", _with(_PR, annual_income_fen=300000),
     {"decision": "decline", "reasons": ["LIMIT_TOO_LOW"]}),
]

# --- village.precredit -------------------------------------------------------------------------

VILLAGE_IN = _obj({
    "household_annual_income_fen": FEN,
    "assets_fen": FEN,
    "debt_fen": FEN,
    "committee_opinion": {"enum": ["recommend", "neutral", "oppose"]},
    "labour_count": {"type": "integer", "minimum": 0, "maximum": 20},
    "bad_record": {"type": "boolean"},
    "household_id": {"type": ["integer", "string"]},
}, ["household_annual_income_fen", "assets_fen", "debt_fen", "committee_opinion", "labour_count", "bad_record"])
VILLAGE_OUT = _obj({"decision": {"enum": ["grant", "refer", "decline"]}, "limit_fen": {"type": "integer"},
                    "reasons": REASONS})


def village_graph() -> dict[str, Any]:
    return chain(
        expression("base", "Base limit", [
            ("base_fen", "household_annual_income_fen * 1.5 + max([assets_fen - debt_fen, 0]) * 0.2"),
        ]),
        table("opinion", "Committee and records", [("Bad record", "bad_record"), ("Opinion", "committee_opinion"),
                                                   ("Labour", "labour_count")],
              [("Decision", "decision"), ("Factor %", "factor_pct"), ("Reasons", "reasons")], [
                  ["true", "", "", '"decline"', "0", '["BAD_RECORD"]'],
                  ["", '"oppose"', "", '"decline"', "0", '["COMMITTEE_OPPOSES"]'],
                  ["", "", "0", '"refer"', "50", '["NO_LABOUR"]'],
                  ["", '"neutral"', "", '"grant"', "70", '["COMMITTEE_NEUTRAL"]'],
                  ["", '"recommend"', "", '"grant"', "100", "[]"],
              ]),
        expression("limit", "Limit", [
            ("limit_fen", "min([floor(base_fen * factor_pct / 100 / 100000) * 100000, 30000000])"),
        ]),
        result([("decision", "decision"), ("limit_fen", "limit_fen"), ("reasons", "reasons")]),
    )


_VL = {"household_annual_income_fen": 6000000, "assets_fen": 20000000, "debt_fen": 5000000,
       "committee_opinion": "recommend", "labour_count": 2, "bad_record": False}
VILLAGE_CASES = [
    ("recommended household", _VL, {"decision": "grant", "limit_fen": 12000000, "reasons": []}),
    ("neutral opinion 70%", _with(_VL, committee_opinion="neutral"), {"decision": "grant", "limit_fen": 8400000}),
    ("committee opposes", _with(_VL, committee_opinion="oppose"), {"decision": "decline", "limit_fen": 0}),
    ("bad record", _with(_VL, bad_record=True), {"decision": "decline", "reasons": ["BAD_RECORD"]}),
    ("no labour refers", _with(_VL, labour_count=0), {"decision": "refer", "limit_fen": 6000000}),
    ("cap at 300k yuan", _with(_VL, household_annual_income_fen=40000000), {"limit_fen": 30000000}),
]

# --- fraud.transfer ----------------------------------------------------------------------------

TRANSFER_IN = _obj({
    "amount_fen": {"type": "integer", "minimum": 1},
    "hour": {"type": "integer", "minimum": 0, "maximum": 23},
    "new_payee": {"type": "boolean"},
    "account_age_days": {"type": "integer", "minimum": 0},
    "txn_count_1h": {"type": "integer", "minimum": 0},
    "payee_on_watchlist": {"type": "boolean"},
    "customer_id": {"type": ["integer", "string"]},
}, ["amount_fen", "hour", "new_payee", "account_age_days", "txn_count_1h", "payee_on_watchlist"])
TRANSFER_OUT = _obj({"action": {"enum": ["allow", "review", "block"]}, "score": {"type": "integer"},
                     "reasons": REASONS})


def transfer_graph() -> dict[str, Any]:
    return chain(
        expression("score", "Risk score", [
            ("score", "(payee_on_watchlist ? 100 : 0) + (new_payee ? 20 : 0) + (amount_fen >= 5000000 ? 30 : 0)"
                      " + (hour < 6 ? 15 : 0) + (account_age_days < 30 ? 20 : 0) + (txn_count_1h >= 5 ? 25 : 0)"),
            ("reasons", "filter([payee_on_watchlist ? 'PAYEE_WATCHLIST' : null, new_payee ? 'NEW_PAYEE' : null, "
                        "amount_fen >= 5000000 ? 'LARGE_AMOUNT' : null, hour < 6 ? 'NIGHT' : null, "
                        "account_age_days < 30 ? 'NEW_ACCOUNT' : null, txn_count_1h >= 5 ? 'VELOCITY' : null], # != null)"),
        ]),
        table("act", "Action", [("Score", "score")], [("Action", "action")],
              [[">= 80", '"block"'], [">= 50", '"review"'], ["", '"allow"']]),
        result([("action", "action"), ("score", "score"), ("reasons", "reasons")]),
    )


_TR = {"amount_fen": 100000, "hour": 14, "new_payee": False, "account_age_days": 400, "txn_count_1h": 1,
       "payee_on_watchlist": False}
TRANSFER_CASES = [
    ("ordinary transfer", _TR, {"action": "allow", "score": 0, "reasons": []}),
    ("watchlisted payee blocks", _with(_TR, payee_on_watchlist=True), {"action": "block"}),
    ("large new payee at night reviews", _with(_TR, amount_fen=6000000, new_payee=True, hour=2),
     {"action": "review", "score": 65}),
    ("new account velocity large new payee blocks",
     _with(_TR, amount_fen=6000000, new_payee=True, account_age_days=3, txn_count_1h=6),
     {"action": "block", "score": 95}),
]

# --- loan.assess (admission + rating + pricing) ------------------------------------------------

ASSESS_IN = _obj({**{k: v for k, v in ADMISSION_IN["properties"].items()},
                  **{k: v for k, v in RATING_IN["properties"].items()},
                  **{k: PRICING_IN["properties"][k] for k in ("guarantee_type", "requested_fen", "lpr")}},
                 list(dict.fromkeys(ADMISSION_IN["required"] + RATING_VARS + ["guarantee_type", "requested_fen", "lpr"])))
ASSESS_OUT = _obj({"decision": {"enum": ["approve", "refer", "decline"]}, "reasons": REASONS,
                   "score": {"type": "integer"}, "rating": {"enum": ["A", "B", "C", "D", "E"]},
                   "limit_fen": {"type": "integer"}, "spread_bps": {"type": "integer"},
                   "term_months_max": {"type": "integer"}})


def assess_graph() -> dict[str, Any]:
    return chain(
        sub_decision("adm", "Admission", "loan.admission", "admission"),
        sub_decision("rt", "Rating", "loan.rating", "scorecard"),
        expression("prep", "Pricing input", [("rating", "scorecard.rating")]),
        sub_decision("pr", "Limit and pricing", "loan.limit_pricing", "pricing"),
        result([
            ("decision", "admission.decision == 'decline' or pricing.decision == 'decline' ? 'decline' : "
                         "(admission.decision == 'refer' or pricing.decision == 'refer' ? 'refer' : 'approve')"),
            ("reasons", "flatten([admission.reasons, pricing.reasons])"),
            ("score", "scorecard.score"), ("rating", "scorecard.rating"),
            ("limit_fen", "admission.decision == 'decline' ? 0 : pricing.limit_fen"),
            ("spread_bps", "pricing.spread_bps"), ("term_months_max", "pricing.term_months_max"),
        ]),
    )


_AS = {**_ADM_OK, **_RT, "guarantee_type": "credit", "requested_fen": 10000000, "lpr": "0.0310"}
ASSESS_CASES = [
    ("good household approved", _AS, {"decision": "approve", "rating": "A", "limit_fen": 10000000,
                                      "spread_bps": 40}),
    ("blacklisted declined with no limit", _with(_AS, blacklisted=True),
     {"decision": "decline", "limit_fen": 0, "reasons": ["BLACKLISTED"]}),
]

STRATEGIES: list[dict[str, Any]] = [
    {"key": "loan.admission", "name": "贷款准入", "description": "年龄、黑名单、身份核验、当前逾期、负债收入比",
     "input": ADMISSION_IN, "output": ADMISSION_OUT, "graph": admission_graph, "cases": ADMISSION_CASES,
     "branch_override": True},
    {"key": "fraud.pre_check", "name": "反欺诈预检", "description": "设备风险、名单、人机一致、多头申请",
     "input": PRECHECK_IN, "output": PRECHECK_OUT, "graph": precheck_graph, "cases": PRECHECK_CASES},
    {"key": "loan.rating", "name": "信用评级评分卡", "description": "农户评分卡：年龄、耕地、收入、牲畜、负债、历史逾期",
     "input": RATING_IN, "output": RATING_OUT, "graph": rating_graph, "cases": RATING_CASES},
    {"key": "loan.limit_pricing", "name": "额度与定价", "description": "LPR 加点：按评级与担保方式定额度、加点与期限",
     "input": PRICING_IN, "output": PRICING_OUT, "graph": pricing_graph, "cases": PRICING_CASES,
     "branch_override": True},
    {"key": "village.precredit", "name": "整村预授信", "description": "家庭收入、资产、评议意见 → 预授信额度",
     "input": VILLAGE_IN, "output": VILLAGE_OUT, "graph": village_graph, "cases": VILLAGE_CASES},
    {"key": "fraud.transfer", "name": "转账风控", "description": "金额、时段、新收款人、账户年龄、频次",
     "input": TRANSFER_IN, "output": TRANSFER_OUT, "graph": transfer_graph, "cases": TRANSFER_CASES},
    {"key": "loan.assess", "name": "贷款综合审批", "description": "准入 + 评分卡评级 + 额度定价（子决策）",
     "input": ASSESS_IN, "output": ASSESS_OUT, "graph": assess_graph, "cases": ASSESS_CASES},
]
