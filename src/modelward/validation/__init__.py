"""Validation of a model version on held-out data: pure statistics beside the service.

`checks.evaluate` is the one entry the service calls; the modules beside it compute one family
of checks each (metrics, slices, fairness, explanations, robustness, behaviour, comparison)
and `report_html` renders a report for people. Nothing here touches the database or files.
"""
