"""Experiment tracking: experiments, runs, params, metrics, datasets, environments, artifacts."""
