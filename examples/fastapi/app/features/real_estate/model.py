from sqlalchemy import Column, DateTime, ForeignKey, Integer, Numeric, SmallInteger, Text, func
from sqlalchemy.orm import relationship

from app.core.db import Base


class RealEstate(Base):
    __tablename__ = "real_estate"
    __mapper_args__ = {"eager_defaults": True}

    id = Column(Integer, primary_key=True)
    owner_id = Column(
        Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    address = Column(Text, nullable=False)
    city = Column(Text, nullable=False)
    price = Column(Numeric(12, 2), nullable=False)
    bedrooms = Column(SmallInteger)
    created_at = Column(DateTime(timezone=True), nullable=False, server_default=func.now())

    # lazy="raise": with asyncio nothing may load behind your back; use
    # selectinload(RealEstate.owner) where the owner is needed.
    owner = relationship("User", lazy="raise")
