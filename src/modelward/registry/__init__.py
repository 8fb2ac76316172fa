"""The model registry: registered models, numbered versions, aliases, flavors and model cards."""
