"""Pure entities and rules: stdlib and ``modelward.errors`` only, no I/O."""
