from decimal import Decimal
from typing import Optional, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.features.real_estate.model import RealEstate


class RealEstateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, real_estate: RealEstate) -> RealEstate:
        self.session.add(real_estate)
        await self.session.flush()
        return real_estate

    async def get(self, real_estate_id: int) -> Optional[RealEstate]:
        return await self.session.get(RealEstate, real_estate_id)

    async def list(
        self,
        *,
        owner_id: Optional[int] = None,
        city: Optional[str] = None,
        max_price: Optional[Decimal] = None,
        min_bedrooms: Optional[int] = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Sequence[RealEstate]:
        query = select(RealEstate).order_by(RealEstate.id).limit(limit).offset(offset)
        if owner_id is not None:
            query = query.where(RealEstate.owner_id == owner_id)
        if city is not None:
            query = query.where(RealEstate.city == city)
        if max_price is not None:
            query = query.where(RealEstate.price <= max_price)
        if min_bedrooms is not None:
            query = query.where(RealEstate.bedrooms >= min_bedrooms)
        result = await self.session.execute(query)
        return result.scalars().all()
