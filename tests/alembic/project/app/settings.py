"""The service's settings, from the environment (as pydantic's BaseSettings would)."""

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    database_url: str
    debug: bool = False


def load_settings() -> Settings:
    try:
        url = os.environ["DATABASE_URL"]
    except KeyError:
        raise RuntimeError("DATABASE_URL is not set") from None
    return Settings(database_url=url, debug=os.environ.get("DEBUG", "") == "1")


settings = load_settings()
