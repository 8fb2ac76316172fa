"""Synthetic retail customers and the offer each one took up (seeded, no download).

Each row is one customer on the night of a campaign; ``offer`` is the offer the customer
accepted in past campaigns (the training target), one of :data:`OFFERS`:

=====================  =======================================================================
column                 distribution
=====================  =======================================================================
age                    uniform integer 18..80
tenure_months          gamma(shape 2, scale 18), whole months, at most 120
monthly_spend          lognormal, median 60 (currency units), clipped to 10..250
visits_last_30d        poisson(4), at most 15
channel                web 45%, app 35%, store 20%
segment                student / family / professional / retired, by age
=====================  =======================================================================

The offer taken follows a softmax of per-offer scores: students and app users like
``discount``, high spenders ``premium_upgrade``, long-tenured customers ``loyalty_points``,
families ``bundle``. ``period="summer"`` is the summer-sale population: younger, app-heavy,
lower spend — the predicted offer mix moves towards ``discount``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

OFFERS = ["discount", "premium_upgrade", "loyalty_points", "bundle"]
FEATURES = ["age", "tenure_months", "monthly_spend", "visits_last_30d", "channel", "segment"]
TARGET = "offer"


def _segment(age: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    family = rng.random(age.size) < 0.45
    return np.select(
        [age < 25, age >= 65, family], ["student", "retired", "family"], "professional"
    )


def generate_customers(rows: int, *, seed: int = 0, period: str = "spring") -> pd.DataFrame:
    """`rows` customers of the given period ("spring" or "summer"), with the target ``offer``."""
    if period not in {"spring", "summer"}:
        raise ValueError(f"period must be 'spring' or 'summer', got {period!r}.")
    rng = np.random.default_rng(seed)
    summer = period == "summer"
    age = rng.integers(18, 81, rows) if not summer else rng.integers(18, 50, rows)
    tenure = np.minimum(rng.gamma(2.0, 18.0, rows).round(), 120)
    spend = rng.lognormal(np.log(45 if summer else 60), 0.5, rows).clip(10, 250).round(2)
    visits = np.minimum(rng.poisson(6 if summer else 4, rows), 15)
    channel = rng.choice(
        ["web", "app", "store"], rows, p=[0.3, 0.6, 0.1] if summer else [0.45, 0.35, 0.2]
    )
    segment = _segment(age, rng)
    scores = np.column_stack(
        [
            0.5 + 1.6 * (segment == "student") + 0.8 * (channel == "app") - 0.01 * spend,
            -1.0 + 0.03 * spend + 0.6 * (segment == "professional"),
            -0.8 + 0.04 * tenure + 0.7 * (segment == "retired"),
            -0.2 + 1.5 * (segment == "family") + 0.1 * visits,
        ]
    )
    scores += rng.gumbel(size=scores.shape) * 0.7  # taste: the choice is not deterministic
    offer = np.asarray(OFFERS)[scores.argmax(axis=1)]
    return pd.DataFrame(
        {
            "customer_id": [f"c{seed:02d}-{i:06d}" for i in range(rows)],
            "age": age,
            "tenure_months": tenure,
            "monthly_spend": spend,
            "visits_last_30d": visits,
            "channel": channel,
            "segment": segment,
            TARGET: offer,
        }
    )
