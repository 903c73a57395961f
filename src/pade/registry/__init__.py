"""The registry: companies (RUC), markets, responsible entities, reference data."""
