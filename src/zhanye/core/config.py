"""Settings read from environment variables (ZHANYE_*). The README documents each one."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

DEFAULT_SQLITE_URL = "sqlite:///./var/zhanye.db"


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_SQLITE_URL
    # Master secret from which the SM4 data key and the SM3 blind-index key are derived.
    # Production sets ZHANYE_SECRET_KEY; the default is for the demo only.
    secret_key: str = "zhanye-demo-secret-change-me"
    session_hours: int = 8
    online_session_minutes: int = 30
    online_session_max_hours: int = 4
    login_max_failures: int = 5
    login_lock_minutes: int = 15
    password_min_length: int = 10
    max_body_bytes: int = 1_048_576
    upload_max_bytes: int = 10_485_760
    log_level: str = "INFO"
    log_json: bool = True
    default_locale: str = "zh_CN"
    storage_dir: str = "./var/storage"
    demo_password: str | None = None
    cookie_secure: bool = False
    sql_echo: bool = False
    audit_lanes: int = 4
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings() -> Settings:
    return Settings(
        database_url=_env("ZHANYE_DATABASE_URL", DEFAULT_SQLITE_URL),
        secret_key=_env("ZHANYE_SECRET_KEY", "zhanye-demo-secret-change-me"),
        session_hours=_env_int("ZHANYE_SESSION_HOURS", 8),
        online_session_minutes=_env_int("ZHANYE_ONLINE_SESSION_MINUTES", 30),
        online_session_max_hours=_env_int("ZHANYE_ONLINE_SESSION_MAX_HOURS", 4),
        login_max_failures=_env_int("ZHANYE_LOGIN_MAX_FAILURES", 5),
        login_lock_minutes=_env_int("ZHANYE_LOGIN_LOCK_MINUTES", 15),
        password_min_length=_env_int("ZHANYE_PASSWORD_MIN_LENGTH", 10),
        max_body_bytes=_env_int("ZHANYE_MAX_BODY_BYTES", 1_048_576),
        upload_max_bytes=_env_int("ZHANYE_UPLOAD_MAX_BYTES", 10_485_760),
        log_level=_env("ZHANYE_LOG_LEVEL", "INFO"),
        log_json=_env_bool("ZHANYE_LOG_JSON", True),
        default_locale=_env("ZHANYE_LOCALE", "zh_CN"),
        storage_dir=_env("ZHANYE_STORAGE_DIR", "./var/storage"),
        demo_password=os.environ.get("ZHANYE_DEMO_PASSWORD") or None,
        cookie_secure=_env_bool("ZHANYE_COOKIE_SECURE", False),
        sql_echo=_env_bool("ZHANYE_SQL_ECHO", False),
        audit_lanes=_env_int("ZHANYE_AUDIT_LANES", 4),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()


def ensure_sqlite_dir(url: str) -> None:
    """Create the folder of a file-based SQLite URL (``sqlite:///./var/zhanye.db``)."""
    if url.startswith("sqlite:///") and ":memory:" not in url:
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
