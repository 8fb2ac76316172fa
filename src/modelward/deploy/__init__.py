"""Deployment use-cases: deployments and their configuration history, bundles, batch scoring."""
