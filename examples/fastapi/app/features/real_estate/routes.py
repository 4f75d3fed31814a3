from decimal import Decimal
from typing import List, Optional

from fastapi import APIRouter, Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import get_session
from app.features.real_estate.schemas import RealEstateCreate, RealEstateRead
from app.features.real_estate.service import RealEstateService

router = APIRouter(prefix="/real-estate", tags=["real estate"])


def get_real_estate_service(session: AsyncSession = Depends(get_session)) -> RealEstateService:
    return RealEstateService(session)


@router.post("", response_model=RealEstateRead, status_code=201)
async def create_real_estate(
    data: RealEstateCreate, service: RealEstateService = Depends(get_real_estate_service)
):
    return await service.create(data)


@router.get("/{real_estate_id}", response_model=RealEstateRead)
async def get_real_estate(
    real_estate_id: int, service: RealEstateService = Depends(get_real_estate_service)
):
    return await service.get(real_estate_id)


@router.get("", response_model=List[RealEstateRead])
async def list_real_estate(
    owner_id: Optional[int] = None,
    city: Optional[str] = None,
    max_price: Optional[Decimal] = Query(None, ge=0),
    min_bedrooms: Optional[int] = Query(None, ge=0),
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0),
    service: RealEstateService = Depends(get_real_estate_service),
):
    return await service.list(
        owner_id=owner_id,
        city=city,
        max_price=max_price,
        min_bedrooms=min_bedrooms,
        limit=limit,
        offset=offset,
    )
