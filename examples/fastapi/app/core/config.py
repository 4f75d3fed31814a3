"""Settings, read from the environment (and from nothing else)."""
from functools import lru_cache

from pydantic import BaseSettings


class Settings(BaseSettings):
    # The same URL the migrate container gets: vmig drops the +asyncpg suffix.
    database_url: str = "postgresql+asyncpg://app:app-secret@localhost:5432/app"
    sql_echo: bool = False


@lru_cache
def get_settings() -> Settings:
    return Settings()
