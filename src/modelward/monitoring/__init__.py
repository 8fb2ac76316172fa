"""Monitoring and the feedback loop: labels, drift and performance per window, alerts,
reports, champion-vs-challenger evidence from live traffic, and retraining helpers."""
