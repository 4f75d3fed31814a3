from decimal import Decimal
from typing import Optional, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import NotFoundError, RuleViolationError
from app.features.real_estate.model import RealEstate
from app.features.real_estate.repository import RealEstateRepository
from app.features.real_estate.schemas import RealEstateCreate
from app.features.users.model import UserRole
from app.features.users.repository import UserRepository


class RealEstateService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.real_estate = RealEstateRepository(session)
        self.users = UserRepository(session)

    async def create(self, data: RealEstateCreate) -> RealEstate:
        owner = await self.users.get(data.owner_id)
        if owner is None:
            raise NotFoundError(f"user {data.owner_id} not found")
        if owner.role == UserRole.tenant:
            raise RuleViolationError(f"user {owner.id} is a tenant and cannot own real estate")
        real_estate = await self.real_estate.add(RealEstate(**data.dict()))
        await self.session.commit()
        return real_estate

    async def get(self, real_estate_id: int) -> RealEstate:
        real_estate = await self.real_estate.get(real_estate_id)
        if real_estate is None:
            raise NotFoundError(f"real estate {real_estate_id} not found")
        return real_estate

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
        return await self.real_estate.list(
            owner_id=owner_id,
            city=city,
            max_price=max_price,
            min_bedrooms=min_bedrooms,
            limit=limit,
            offset=offset,
        )
