from datetime import datetime

from pydantic import BaseModel, Field, validator

from app.features.users.model import UserRole


class UserCreate(BaseModel):
    email: str = Field(..., max_length=320, regex=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    full_name: str = Field(..., min_length=1, max_length=200)
    role: UserRole = UserRole.tenant
    document_number: str = Field(..., min_length=1, max_length=32)

    @validator("email", pre=True)
    def _normalize_email(cls, value):
        return value.strip().lower() if isinstance(value, str) else value

    @validator("document_number", pre=True)
    def _normalize_document_number(cls, value):
        return value.strip().upper() if isinstance(value, str) else value


class UserRead(BaseModel):
    id: int
    email: str
    full_name: str
    role: UserRole
    document_number: str
    created_at: datetime

    class Config:
        orm_mode = True
