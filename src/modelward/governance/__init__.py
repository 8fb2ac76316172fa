"""Governance: risk assessments, risk-tiered policies, sign-offs and the audit trail.

The rules themselves are pure and live in `modelward.domain` (`risk`, `questionnaire`,
`policy`); this package holds what reads them from files (`policies`), verifies the audit
chain (`audit_verify`), and the use-cases that tie them to storage.
"""
