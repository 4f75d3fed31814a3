from typing import Optional, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.features.users.model import User, UserRole


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, user: User) -> User:
        self.session.add(user)
        await self.session.flush()
        return user

    async def get(self, user_id: int) -> Optional[User]:
        return await self.session.get(User, user_id)

    async def get_by_email(self, email: str) -> Optional[User]:
        result = await self.session.execute(select(User).where(User.email == email))
        return result.scalar_one_or_none()

    async def get_by_document_number(self, document_number: str) -> Optional[User]:
        result = await self.session.execute(
            select(User).where(User.document_number == document_number)
        )
        return result.scalar_one_or_none()

    async def list(
        self, *, role: Optional[UserRole] = None, limit: int = 50, offset: int = 0
    ) -> Sequence[User]:
        query = select(User).order_by(User.id).limit(limit).offset(offset)
        if role is not None:
            query = query.where(User.role == role)
        result = await self.session.execute(query)
        return result.scalars().all()
