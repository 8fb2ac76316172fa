"""Both backends offer exactly the contract: a public method on a local or HTTP namespace that
no Protocol declares would escape the local-and-remote comparison of test_contract.py."""

from __future__ import annotations

import inspect

import pytest

from modelward.client import (
    RegistryClient,
    TrackingClient,
    contract,
    http,
    http_governance,
    http_monitoring,
    http_ops,
    http_privacy,
)
from modelward.client.deploy import DeploymentClient
from modelward.client.evidence import EvidenceClient
from modelward.client.governance import GovernanceClient
from modelward.client.http_evidence import HttpEvidenceClient
from modelward.client.monitoring import MonitoringClient
from modelward.client.privacy import DataProtectionClient
from modelward.client.validation import ValidationClient

# Public members outside the contract, each with the reason it is not part of it.
OUTSIDE = {
    "log",  # MonitoringClient: the local prediction-log reader the local jobs use
    "iter_artifact",  # HttpRegistryClient: raw artifact download used by nothing yet
}


def public(cls: type) -> set[str]:
    return {
        name
        for name, value in vars(cls).items()
        if not name.startswith("_") and (inspect.isfunction(value) or isinstance(value, property))
    }


@pytest.mark.parametrize(
    ("protocol", "implementations"),
    [
        pytest.param(
            contract.TrackingAPI, [TrackingClient, http.HttpTrackingClient], id="tracking"
        ),
        pytest.param(
            contract.RegistryAPI, [RegistryClient, http.HttpRegistryClient], id="registry"
        ),
        pytest.param(
            contract.ValidationAPI,
            [ValidationClient, http_ops.HttpValidationClient],
            id="validation",
        ),
        pytest.param(
            contract.GovernanceAPI,
            [GovernanceClient, http_governance.HttpGovernanceClient],
            id="governance",
        ),
        pytest.param(
            contract.DeploymentsAPI,
            [DeploymentClient, http_ops.HttpDeploymentClient],
            id="deployments",
        ),
        pytest.param(contract.EvidenceAPI, [EvidenceClient, HttpEvidenceClient], id="evidence"),
        pytest.param(
            contract.MonitoringAPI,
            [MonitoringClient, http_monitoring.HttpMonitoringClient],
            id="monitoring",
        ),
        pytest.param(
            contract.DataProtectionAPI,
            [DataProtectionClient, http_privacy.HttpDataProtectionClient],
            id="data",
        ),
    ],
)
def test_each_backend_offers_exactly_the_protocol(
    protocol: type, implementations: list[type]
) -> None:
    declared = public(protocol)
    for cls in implementations:
        assert public(cls) - OUTSIDE == declared, cls.__name__
        for name in declared:  # the same parameters, in the same order, of the same kind
            wanted, theirs = vars(protocol)[name], vars(cls)[name]
            if isinstance(wanted, property):
                assert isinstance(theirs, property), f"{cls.__name__}.{name}"
                continue
            expected = [(p.name, p.kind) for p in inspect.signature(wanted).parameters.values()]
            found = [(p.name, p.kind) for p in inspect.signature(theirs).parameters.values()]
            assert found == expected, f"{cls.__name__}.{name}"
