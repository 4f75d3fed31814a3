from datetime import datetime
from decimal import Decimal
from typing import Optional

from pydantic import BaseModel, Field, condecimal, validator


class RealEstateCreate(BaseModel):
    owner_id: int
    address: str = Field(..., min_length=1, max_length=300)
    city: str = Field(..., min_length=1, max_length=100)
    price: condecimal(ge=0, max_digits=12, decimal_places=2)
    bedrooms: Optional[int] = Field(None, ge=0, le=100)

    @validator("price")
    def _to_cents(cls, value: Decimal) -> Decimal:
        # numeric(12, 2): what is stored, and so what is returned.
        return value.quantize(Decimal("0.01"))


class RealEstateRead(BaseModel):
    id: int
    owner_id: int
    address: str
    city: str
    price: Decimal
    bedrooms: Optional[int]
    created_at: datetime

    class Config:
        orm_mode = True
        # Money goes over the wire as a string: "250000.00", never a float.
        json_encoders = {Decimal: str}
