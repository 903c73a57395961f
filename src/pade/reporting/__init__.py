"""Values reported by the responsible entities, their review, the reporting calendar and data quality."""
