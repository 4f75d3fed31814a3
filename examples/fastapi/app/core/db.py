"""The async engine, the session factory and the request's session."""
from typing import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import declarative_base, sessionmaker

from app.core.config import get_settings

# Models only map tables: the schema is created by the SQL files in
# migrations/ (vmig), never by Base.metadata.create_all().
Base = declarative_base()

engine = create_async_engine(
    get_settings().database_url, echo=get_settings().sql_echo, pool_pre_ping=True
)
SessionLocal = sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


async def get_session() -> AsyncIterator[AsyncSession]:
    """FastAPI dependency: one session per request (services commit)."""
    async with SessionLocal() as session:
        yield session
