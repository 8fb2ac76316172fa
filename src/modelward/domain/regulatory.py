"""What regulators ask about, and which parts of an evidence pack answer it: pure data.

Each `Section` names the provision (EU AI Act Articles 9-15 and 17, GDPR Articles 22 and 30,
and model-risk guidance such as the US SR 11-7 / UK PRA SS1/23 on development, validation and
ongoing monitoring) and the pack parts that answer it. A section is *covered* when every
part it needs holds evidence for the model, *partial* when some do, *missing* when none do.
The mapping is our reading of the texts, to point an auditor at the evidence; it is not
legal advice and does not claim the model complies.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

# The parts of a pack (file `parts/<name>.json` or `.md`, and `audit/` for the chain slice).
PARTS: Mapping[str, str] = {
    "assessment": "Risk assessment, questionnaire answers and assessment history",
    "policy": "The policy applied at the model's risk level, and the hash of the policies",
    "model_card": "Model card with the governance sections",
    "validation": "Validation reports (checks, fairness, explanations, robustness, overlap)",
    "findings": "Validation findings with severity, owner, due date and status",
    "waivers": "Waivers of gate items: reason, approver, expiry and state",
    "sign_offs": "Review requests and sign-offs (human approval)",
    "gate_decisions": "Every gate decision recorded (passed and refused) and the current one",
    "deployments": "Deployments serving the model and their configuration history",
    "monitoring": "Monitoring windows (drift, performance) and alerts",
    "lineage": "Training run, code version, environment, datasets and personal-data tags",
    "reproducibility": "Result of reproducing the training run",
    "audit": "Slice of the hash-chained audit trail, anchored to a checkpoint",
}


class Coverage(enum.StrEnum):
    """How much of a section the pack answers for this model."""

    COVERED = "covered"
    PARTIAL = "partial"
    MISSING = "missing"


@dataclass(frozen=True)
class Section:
    """One provision regulators ask about, and the pack parts that answer it."""

    key: str
    framework: str
    title: str
    parts: tuple[str, ...]

    def coverage(self, present: Mapping[str, bool]) -> Coverage:
        """Covered when every part holds evidence, partial when some do, else missing."""
        found = [present.get(part, False) for part in self.parts]
        if all(found):
            return Coverage.COVERED
        return Coverage.PARTIAL if any(found) else Coverage.MISSING


_AI_ACT = "EU AI Act"
_GDPR = "GDPR"
_MRM = "Model risk management (SR 11-7, PRA SS1/23)"

SECTIONS: tuple[Section, ...] = (
    Section(
        "ai_act.art9",
        _AI_ACT,
        "Art. 9 Risk management system",
        ("assessment", "policy", "findings", "waivers", "monitoring"),
    ),
    Section("ai_act.art10", _AI_ACT, "Art. 10 Data and data governance", ("lineage", "validation")),
    Section(
        "ai_act.art11",
        _AI_ACT,
        "Art. 11 Technical documentation (Annex IV)",
        ("model_card", "lineage", "validation", "policy"),
    ),
    Section("ai_act.art12", _AI_ACT, "Art. 12 Record-keeping", ("audit", "monitoring")),
    Section(
        "ai_act.art13",
        _AI_ACT,
        "Art. 13 Transparency and information to deployers",
        ("model_card", "validation"),
    ),
    Section("ai_act.art14", _AI_ACT, "Art. 14 Human oversight", ("sign_offs", "gate_decisions")),
    Section(
        "ai_act.art15",
        _AI_ACT,
        "Art. 15 Accuracy, robustness and cybersecurity",
        ("validation", "reproducibility", "monitoring"),
    ),
    Section(
        "ai_act.art17",
        _AI_ACT,
        "Art. 17 Quality management system",
        ("policy", "gate_decisions", "findings", "audit"),
    ),
    Section(
        "gdpr.art22",
        _GDPR,
        "Art. 22 Automated individual decision-making",
        ("assessment", "sign_offs", "model_card"),
    ),
    Section(
        "gdpr.art30", _GDPR, "Art. 30 Records of processing activities", ("lineage", "deployments")
    ),
    Section(
        "mrm.development",
        _MRM,
        "Model development, implementation and use",
        ("lineage", "model_card", "reproducibility"),
    ),
    Section(
        "mrm.validation",
        _MRM,
        "Model validation (independent review, findings, approval)",
        ("validation", "findings", "waivers", "sign_offs"),
    ),
    Section(
        "mrm.monitoring",
        _MRM,
        "Ongoing monitoring and outcomes analysis",
        ("monitoring", "deployments", "findings"),
    ),
)


def coverage_index(present: Mapping[str, bool]) -> list[dict[str, object]]:
    """Every section with its framework, title, parts (each covered or missing) and coverage."""
    return [
        {
            "key": section.key,
            "framework": section.framework,
            "title": section.title,
            "parts": {
                part: "covered" if present.get(part) else "missing" for part in section.parts
            },
            "coverage": section.coverage(present).value,
        }
        for section in SECTIONS
    ]
