"""The web platform: public portal, JSON API (/api/v1) and, later, the back-office."""
