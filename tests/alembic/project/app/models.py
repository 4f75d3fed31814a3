"""The service's ORM models: target_metadata for Alembic's autogenerate."""

import sqlalchemy as sa
from sqlalchemy.orm import declarative_base, relationship

from app.types import DocumentNumber

Base = declarative_base()


class User(Base):
    __tablename__ = "users"

    id = sa.Column(sa.Integer, primary_key=True)
    email = sa.Column(sa.String(255), nullable=False, unique=True)
    role = sa.Column(sa.Enum("admin", "owner", "tenant", name="user_role"), nullable=False)
    document_number = sa.Column(DocumentNumber(), nullable=False, unique=True)
    phone = sa.Column(sa.String(32))
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())
    updated_at = sa.Column(sa.DateTime(timezone=True), nullable=False,
                           server_default=sa.text("CURRENT_TIMESTAMP"))

    properties = relationship("RealEstate", back_populates="owner")


class RealEstate(Base):
    __tablename__ = "real_estate"
    __table_args__ = (sa.Index("ix_real_estate_owner_price", "owner_id", "price"),)

    id = sa.Column(sa.Integer, primary_key=True)
    owner_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
                         index=True)
    address = sa.Column(sa.String(255), nullable=False, unique=True)
    city = sa.Column(sa.String(100), nullable=False, index=True)
    postal_code = sa.Column(sa.String(16), nullable=False, index=True)
    price = sa.Column(sa.Numeric(12, 2), nullable=False, server_default="0")
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False,
                           server_default=sa.text("CURRENT_TIMESTAMP"), index=True)

    owner = relationship("User", back_populates="properties")
