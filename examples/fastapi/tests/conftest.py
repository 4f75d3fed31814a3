"""Each test gets a database of its own, fresh and migrated to head.

`vmig testdb new` prints the URL of a new database that has every migration in
migrations/ applied.  vmig migrates a template database once (under a lock, so
parallel workers build it once between them) and copies it for each test, so
a test pays for a copy, not for the migrations.  After the test the database
is dropped; at the end of the run `vmig testdb gc` removes whatever is left
(templates of migrations that changed, databases of a run that was killed).

Environment:
  TEST_DATABASE_URL  the server and the name that test databases are derived
                     from (the database itself is never used or changed)
  VMIG               the vmig command (default: vmig on PATH)
"""
import json
import os
import shlex
import subprocess
from pathlib import Path
from typing import AsyncIterator, Iterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import sessionmaker

from app.core.db import get_session
from app.main import app

PROJECT_DIR = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = PROJECT_DIR / "migrations"
BASE_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+asyncpg://app:app-secret@localhost:5432/app_test"
)


class VmigError(Exception):
    pass


def vmig(*args: str) -> str:
    """Runs vmig in the project folder; returns its standard output."""
    command = shlex.split(os.environ.get("VMIG", "vmig")) + list(args)
    try:
        result = subprocess.run(command, cwd=PROJECT_DIR, capture_output=True, text=True)
    except FileNotFoundError:
        raise VmigError(f"{command[0]} not found: install vmig, or set VMIG to its path") from None
    if result.returncode != 0:
        raise VmigError(
            f"`vmig {' '.join(args[:2])}` failed (exit {result.returncode}):\n{result.stderr}"
        )
    return result.stdout


def asyncpg_url(url: str) -> str:
    """vmig keeps the scheme it was given; SQLAlchemy needs the driver in it."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


@pytest.fixture
def database_url() -> Iterator[str]:
    """A new database migrated to head, dropped after the test."""
    created = json.loads(
        vmig("testdb", "new", "-d", BASE_URL, "--dir", str(MIGRATIONS_DIR), "--json")
    )
    url = created["url"]
    try:
        yield asyncpg_url(url)
    finally:
        vmig("testdb", "drop", url)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(database_url)
    try:
        yield engine
    finally:
        # Every connection closed before the database is dropped.
        await engine.dispose()


@pytest.fixture
def session_factory(engine: AsyncEngine) -> sessionmaker:
    return sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


@pytest.fixture
async def session(session_factory: sessionmaker) -> AsyncIterator[AsyncSession]:
    """A session on the test's database, for repository-level tests."""
    async with session_factory() as session:
        yield session


@pytest.fixture
async def client(session_factory: sessionmaker) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the app, whose requests use the test's database."""

    async def override_get_session() -> AsyncIterator[AsyncSession]:
        async with session_factory() as session:
            yield session

    app.dependency_overrides[get_session] = override_get_session
    try:
        async with httpx.AsyncClient(app=app, base_url="http://test") as client:
            yield client
    finally:
        app.dependency_overrides.pop(get_session, None)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # Under pytest-xdist only the controller cleans up, once every worker is
    # done: a worker's gc would drop databases that other workers still use.
    if hasattr(session.config, "workerinput"):
        return
    try:
        vmig("testdb", "gc", "-d", BASE_URL, "--dir", str(MIGRATIONS_DIR))
    except VmigError as exc:
        session.config.get_terminal_writer().line(str(exc), red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
