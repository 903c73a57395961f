"""Shared plumbing: settings, database, errors, logging, i18n."""
