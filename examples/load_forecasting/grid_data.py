"""Synthetic hourly electricity load of a regional grid, with calendar and weather (seeded).

One row per hour. Features and how they are drawn:

=============  ===============================================================================
column         distribution
=============  ===============================================================================
hour           0..23; ``weekday`` 0 (Monday)..6; ``month`` 1..12
is_holiday     1 on public holidays (HOLIDAYS), else 0
temperature    seasonal mean 12 + 12 cos(2 pi (day of year - 200) / 365) degrees C (about 24
               in late July, 0 in late January) + a daily cycle of +/-4 (warmest at 15:00) +
               noise that persists from hour to hour (AR(1), sd 2)
humidity       70 - 1.2 x (temperature - 12) + normal(0, 6), clipped to 15..100 %
=============  ===============================================================================

Load (MW): 520 + 140 x the daily profile (low at night, peaks at 9:00 and 19:00)
- 70 on weekends - 110 on holidays + 14 per degree above 20 (cooling)
+ 16 per degree below 14 (heating) + 2 x (humidity - 60) when above 24 degrees + normal(0, 18).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

FEATURES = ["hour", "weekday", "month", "is_holiday", "temperature", "humidity"]
TARGET = "load_mw"
HOLIDAYS = {date(2025, m, d) for m, d in [(1, 1), (5, 1), (7, 14), (8, 15), (11, 1),
                                          (11, 11), (12, 25), (12, 26)]}  # fmt: skip
HOLIDAYS |= {date(2024, 12, 25), date(2024, 12, 26), date(2026, 1, 1)}


def _profile(hour: np.ndarray) -> np.ndarray:
    morning = np.exp(-((hour - 9) ** 2) / 8)
    evening = np.exp(-((hour - 19) ** 2) / 6)
    return 0.2 + 0.8 * morning + 1.0 * evening


def generate_load(start: str, hours: int, *, seed: int = 0) -> pd.DataFrame:
    """`hours` hourly rows from `start` (a date, e.g. "2025-06-01"), with the target load_mw."""
    rng = np.random.default_rng(seed)
    ts = pd.date_range(start, periods=hours, freq="h")
    hour = ts.hour.to_numpy()
    doy = ts.day_of_year.to_numpy()
    noise = np.zeros(hours)
    shocks = rng.normal(0, 2 * np.sqrt(1 - 0.9**2), hours)
    for i in range(1, hours):
        noise[i] = 0.9 * noise[i - 1] + shocks[i]
    temperature = (
        12 + 12 * np.cos(2 * np.pi * (doy - 200) / 365) + 4 * np.sin(2 * np.pi * (hour - 9) / 24)
    ) + noise
    humidity = np.clip(70 - 1.2 * (temperature - 12) + rng.normal(0, 6, hours), 15, 100)
    weekday = ts.day_of_week.to_numpy()
    holiday = np.array([d in HOLIDAYS for d in ts.date]).astype(int)
    load = (
        520
        + 140 * _profile(hour)
        - 70 * (weekday >= 5)
        - 110 * holiday
        + 14 * np.maximum(temperature - 20, 0)
        + 16 * np.maximum(14 - temperature, 0)
        + 2 * np.maximum(humidity - 60, 0) * (temperature > 24)
        + rng.normal(0, 18, hours)
    )
    return pd.DataFrame(
        {
            "timestamp": ts,
            "hour": hour,
            "weekday": weekday,
            "month": ts.month.to_numpy(),
            "is_holiday": holiday,
            "temperature": temperature.round(2),
            "humidity": humidity.round(1),
            TARGET: load.round(1),
        }
    )
