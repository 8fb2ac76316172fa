"""Pure rules of data protection and reproducibility: the closed list of legal bases, keyed
pseudonyms (checked against the standard library's HMAC), metric comparison, gate items."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

import pytest

from modelward.domain.privacy import (
    LegalBasis,
    Pseudonymiser,
    ReproducibilityFacts,
    Reproduction,
    pseudonym,
    reproducibility_items,
)
from modelward.errors import InvalidInput
from modelward.tracking.reproduction import compare_metrics


@pytest.mark.parametrize(
    ("text", "basis"),
    [
        ("6(1)(a)", LegalBasis.CONSENT),
        ("b", LegalBasis.CONTRACT),
        ("Art. 6(1)(c)", LegalBasis.LEGAL_OBLIGATION),
        ("vital interests", LegalBasis.VITAL_INTERESTS),
        ("public_task", LegalBasis.PUBLIC_TASK),
        ("GDPR 6(1)(f)", LegalBasis.LEGITIMATE_INTERESTS),
    ],
)
def test_legal_bases_are_gdpr_article_6_1(text: str, basis: LegalBasis) -> None:
    assert LegalBasis.parse(text) is basis


def test_anything_else_is_refused_with_the_list() -> None:
    with pytest.raises(InvalidInput, match=r"consent \(6\(1\)\(a\)\)"):
        LegalBasis.parse("6(1)(g)")


def test_a_pseudonym_is_the_keyed_hmac_and_keeps_missing_values() -> None:
    key = b"k" * 32
    expected = hmac.new(key, b"C-1", hashlib.sha256).hexdigest()[:32]
    assert pseudonym("C-1", key) == "p:" + expected
    assert pseudonym("C-1", b"x" * 32) != pseudonym("C-1", key)  # no key, no match
    out = Pseudonymiser(["id"], key)({"id": ["C-1", None, float("nan")], "x": [1, 2, 3]})
    assert out == {"id": ["p:" + expected, None, None], "x": [1, 2, 3]}
    assert "k" * 8 not in repr(Pseudonymiser(["id"], key))


def test_metrics_match_within_a_relative_tolerance() -> None:
    assert compare_metrics({"a": 1.0, "b": 0.0}, {"a": 1.0 + 1e-12, "b": 0.0}, tolerance=1e-9)[0]
    assert not compare_metrics({"a": 1.0}, {"a": 1.001}, tolerance=1e-9)[0]
    assert not compare_metrics({"a": 1.0}, {}, tolerance=1.0)[0]  # a metric that vanished
    assert compare_metrics({"a": 1.0}, {"a": 1.0}, tolerance=0)[1] == {"a": [1.0, 1.0]}


def test_gate_items_only_when_the_policy_asks() -> None:
    assert (
        reproducibility_items(
            ReproducibilityFacts(), snapshot_required=False, reproduction_required=False
        )
        == []
    )
    failed = Reproduction(
        "r1", None, True, False, {}, 1e-9, "current", "v", datetime(2026, 1, 1, tzinfo=UTC),
        detail="metrics match but the model bytes differ",
    )  # fmt: skip
    items = reproducibility_items(
        ReproducibilityFacts("r1", True, failed), snapshot_required=True, reproduction_required=True
    )
    assert [(i.name, i.met) for i in items] == [
        ("reproducibility.data_snapshot", True),
        ("reproducibility.reproduced", False),
    ]
    assert "model bytes differ" in items[1].detail
