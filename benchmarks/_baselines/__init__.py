"""Baselines for ``benchmarks/indicators.py``: the 19 PADE indicators written by hand, in pandas and in DuckDB SQL.

Not part of the package: they exist to time the engine against and to check its numbers.
"""
