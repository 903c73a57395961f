"""Settings, declared once. Read from ``PADE_*`` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Runtime settings.

    Example:
        >>> Settings(database_url="sqlite:///tmp/x.db").database_url
        'sqlite:///tmp/x.db'
    """

    model_config = SettingsConfigDict(env_prefix="PADE_", frozen=True, extra="ignore")

    data_dir: Path = Field(default=Path(".pade"), description="Local store folder (SQLite, snapshots).")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the system of record. Default: SQLite in data_dir.",
    )
    host: str = Field(default="127.0.0.1", description="Address the web server binds to.")
    port: int = Field(default=8000, description="Port the web server listens on.")
    log_level: str = Field(default="WARNING", description="Python logging level (INFO shows ids and timings).")
    disclosure_k: int = Field(default=5, ge=2, description="Minimum number of distinct units a published cell "
                              "counts (statistical disclosure control of public outputs).")
    api_token: SecretStr | None = Field(
        default=None,
        description="Bearer token that allows record uploads through the API (until users and roles exist). "
        "Unset: API uploads are refused.",
    )

    secret_key: SecretStr | None = Field(
        default=None,
        description="Key that signs session cookies. Unset: generated once and kept in <data_dir>/secret_key (0600).",
    )
    cookie_secure: bool = Field(
        default=True,
        description="Send the session cookie only over HTTPS (browsers also accept it on http://localhost).",
    )
    session_hours: int = Field(default=8, ge=1, le=24 * 30, description="Lifetime of a back-office session.")

    @property
    def resolved_database_url(self) -> str:
        """The database URL in force: ``database_url`` or SQLite inside ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'pade.db').as_posix()}"
