"""Synthetic consumer-credit applicants for the demo and the credit-risk example (seeded).

Each row is one loan application; ``default`` (1 = the loan defaulted) is drawn from a
logistic model of the true risk drivers. Distributions (reference period):

=====================  ========================================================================
column                 distribution
=====================  ========================================================================
age                    uniform integer 21..75; ``age_band`` = 21-34 / 35-54 / 55+
gender                 "F" or "M", 50/50 — the sensitive attribute
region                 north 30%, south 30%, east 25%, west 15%
employment             employed 70%, self-employed 15%, unemployed 7%, retired 8%
employment_years       gamma(shape 2, scale 4), 0 when unemployed
income                 lognormal, median 42,000 (employed) — x0.4 unemployed, x0.7 retired
debt                   income x beta(2, 5) x 1.2
credit_history_years   min(age - 18, gamma(shape 3, scale 4))
late_payments          poisson(0.4), poisson(1.5) for 15% of applicants
loan_amount            lognormal, median 9,000; ``loan_term`` 36 or 60 months
=====================  ========================================================================

True risk (logit): -3.6 + 3.0 x debt/income + 0.45 x late_payments + 3.5 x loan/income
- 0.04 x history years + 0.9 (unemployed) + 0.3 (self-employed) - 0.02 x employment years.

**Planted bias.** Historical decisions were biased: with ``bias=True`` applicants with
gender "F" had defaults recorded at an extra +0.9 on the logit scale (e.g. loans closed early
were booked as defaults), so a model that may use ``gender`` learns to penalise women.

**Drifted period** (``period="drifted"``, a recession a year later): income -18%, debt
+15%, unemployment doubles, late payments +60%, loan amounts +10%; default risk rises.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from modelward.errors import InvalidInput

FEATURES = [
    "age",
    "gender",
    "region",
    "employment",
    "employment_years",
    "income",
    "debt",
    "credit_history_years",
    "late_payments",
    "loan_amount",
    "loan_term",
]
TARGET = "default"


def _employment(rng: np.random.Generator, n: int, drifted: bool) -> np.ndarray:
    weights = [0.70, 0.15, 0.07, 0.08]
    if drifted:
        weights = [0.64, 0.14, 0.14, 0.08]
    return rng.choice(["employed", "self-employed", "unemployed", "retired"], size=n, p=weights)


def generate_applicants(
    rows: int, *, seed: int = 0, period: str = "reference", bias: bool = True
) -> pd.DataFrame:
    """`rows` applications of the given period, with the target ``default``.

    Raises:
        InvalidInput: rows < 1 or an unknown period.
    """
    if rows < 1:
        raise InvalidInput(f"rows must be at least 1, got {rows}.")
    if period not in {"reference", "drifted"}:
        raise InvalidInput(f"period must be 'reference' or 'drifted', got {period!r}.")
    drifted = period == "drifted"
    rng = np.random.default_rng(seed)
    age = rng.integers(21, 76, rows)
    gender = rng.choice(["F", "M"], rows)
    region = rng.choice(["north", "south", "east", "west"], rows, p=[0.3, 0.3, 0.25, 0.15])
    employment = _employment(rng, rows, drifted)
    years = np.where(employment == "unemployed", 0.0, rng.gamma(2.0, 4.0, rows)).round(1)
    income = rng.lognormal(np.log(42_000), 0.45, rows)
    income *= np.select([employment == "unemployed", employment == "retired"], [0.4, 0.7], 1.0)
    debt = income * rng.beta(2, 5, rows) * 1.2
    history = np.minimum(age - 18, rng.gamma(3.0, 4.0, rows)).round(1)
    late = np.where(rng.random(rows) < 0.15, rng.poisson(1.5, rows), rng.poisson(0.4, rows))
    loan = rng.lognormal(np.log(9_000), 0.5, rows)
    if drifted:
        income *= 0.82
        debt *= 1.15
        late = np.round(late * 1.6 + rng.random(rows) * 0.6).astype(int)
        loan *= 1.10
    logit = (
        -3.6
        + 3.0 * debt / income
        + 0.45 * late
        + 3.5 * loan / income
        - 0.04 * history
        + 0.9 * (employment == "unemployed")
        + 0.3 * (employment == "self-employed")
        - 0.02 * years
    )
    if bias:
        logit = logit + 0.9 * (gender == "F")
    default = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(int)
    frame = pd.DataFrame(
        {
            "age": age,
            "age_band": pd.cut(age, [0, 34, 54, 200], labels=["21-34", "35-54", "55+"]).astype(str),
            "gender": gender,
            "region": region,
            "employment": employment,
            "employment_years": years,
            "income": income.round(0),
            "debt": debt.round(0),
            "credit_history_years": history,
            "late_payments": late.astype(int),
            "loan_amount": loan.round(0),
            "loan_term": rng.choice([36, 60], rows),
            TARGET: default,
        }
    )
    return frame
