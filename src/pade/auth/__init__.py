"""Users, roles and permissions of the back-office."""
