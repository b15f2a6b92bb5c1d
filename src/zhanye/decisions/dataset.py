"""The generated demo data set of rural households for scorecard training (``data/households.csv``).

Regenerate with ``python -m zhanye.decisions.dataset`` (deterministic seed). Columns: household_id,
age, land_mu (耕地亩数), annual_income_fen, livestock (head), existing_debt_fen, past_overdue_days
(worst in 24 months) and default_flag (1 = 90+ days past due within 12 months). The default
probability follows a logistic model of these facts plus noise, so a scorecard has real signal.
"""

from __future__ import annotations

import csv
import math
import random
from pathlib import Path

DATA_FILE = Path(__file__).parent / "data" / "households.csv"
COLUMNS = ["household_id", "age", "land_mu", "annual_income_fen", "livestock", "existing_debt_fen",
           "past_overdue_days", "default_flag"]


def generate(n: int = 6000, seed: int = 20261122) -> list[dict[str, int | float]]:
    rnd = random.Random(seed)
    rows = []
    for i in range(n):
        age = min(70, max(20, int(rnd.gauss(45, 11))))
        land = round(max(0.0, rnd.lognormvariate(1.8, 0.8)), 1)  # median about 6 mu
        income_yuan = max(8000, int(rnd.lognormvariate(10.9, 0.55) + land * 900))
        livestock = 0 if rnd.random() < 0.35 else int(rnd.expovariate(1 / 8))
        debt_yuan = 0 if rnd.random() < 0.45 else int(rnd.lognormvariate(10.5, 0.9))
        overdue = 0 if rnd.random() < 0.8 else rnd.choice([3, 10, 25, 45, 75, 120, 200])
        logit = (-2.2 - 0.9 * math.log(income_yuan / 60000) + 0.6 * (debt_yuan / max(income_yuan, 1))
                 - 0.04 * min(land, 30) - 0.02 * min(livestock, 30) + 0.012 * overdue
                 + (0.5 if age < 28 else 0) + (0.4 if age > 60 else 0) + rnd.gauss(0, 0.5))
        default = 1 if rnd.random() < 1 / (1 + math.exp(-logit)) else 0
        rows.append({"household_id": 100000 + i, "age": age, "land_mu": land,
                     "annual_income_fen": income_yuan * 100, "livestock": livestock,
                     "existing_debt_fen": debt_yuan * 100, "past_overdue_days": overdue, "default_flag": default})
    return rows


def write(path: Path = DATA_FILE, n: int = 6000) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(generate(n))
    return path


def load(path: Path = DATA_FILE) -> list[dict[str, int | float]]:
    with path.open(encoding="utf-8") as fh:
        return [{k: (float(v) if k == "land_mu" else int(v)) for k, v in row.items()} for row in csv.DictReader(fh)]


if __name__ == "__main__":
    print(write())
