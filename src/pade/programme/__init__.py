"""The programme as data: models, loader, checks, versions and diff."""
