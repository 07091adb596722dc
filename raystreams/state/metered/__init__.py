"""Metered layers: the typed, outermost layer of every store stack."""
