"""The models and the migrations describe the same schema.

The migrations are the source of truth (there is no create_all); this test
catches a model that maps a table or column the migrations never created (or
misses one they did), or disagrees on whether a column may be NULL."""
from sqlalchemy import inspect, text

import app.main  # noqa: F401  (imports every feature, so every model is in Base.metadata)
from app.core.db import Base
from app.features.users.model import UserRole


async def test_models_match_migrated_schema(engine):
    def columns_by_table(sync_conn):
        inspector = inspect(sync_conn)
        return {
            table: {c["name"]: c["nullable"] for c in inspector.get_columns(table)}
            for table in inspector.get_table_names()
            if not table.startswith("vmig_")  # vmig's own bookkeeping
        }

    async with engine.connect() as conn:
        migrated = await conn.run_sync(columns_by_table)
        enum_values = await conn.scalar(text("SELECT enum_range(NULL::user_role)::text[]"))

    modelled = {
        t.name: {c.name: c.nullable for c in t.columns} for t in Base.metadata.sorted_tables
    }
    assert migrated == modelled
    assert enum_values == [r.value for r in UserRole]
