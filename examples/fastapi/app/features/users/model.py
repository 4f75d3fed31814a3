import enum

from sqlalchemy import Column, DateTime, Enum, Integer, Text, func

from app.core.db import Base


class UserRole(str, enum.Enum):
    admin = "admin"
    owner = "owner"
    tenant = "tenant"


class User(Base):
    __tablename__ = "users"
    # Read the server defaults (created_at, role) back with RETURNING on
    # INSERT: a lazy load after the fact is an error with asyncio.
    __mapper_args__ = {"eager_defaults": True}

    id = Column(Integer, primary_key=True)
    email = Column(Text, nullable=False, unique=True)
    full_name = Column(Text, nullable=False)
    # The PostgreSQL type user_role, created by the first migration.
    role = Column(
        Enum(UserRole, name="user_role", values_callable=lambda e: [m.value for m in e]),
        nullable=False,
        server_default=UserRole.tenant.value,
    )
    document_number = Column(Text, nullable=False, unique=True)
    created_at = Column(DateTime(timezone=True), nullable=False, server_default=func.now())
