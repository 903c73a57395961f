"""Programme records: kinds, import, validation, quarantine."""
