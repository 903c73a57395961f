"""Indicators: targets per year, compliance, traffic lights, progress status and projections."""
