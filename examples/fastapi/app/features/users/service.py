from typing import Optional, Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import ConflictError, NotFoundError
from app.features.users.model import User, UserRole
from app.features.users.repository import UserRepository
from app.features.users.schemas import UserCreate


class UserService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.users = UserRepository(session)

    async def create(self, data: UserCreate) -> User:
        if await self.users.get_by_email(data.email):
            raise ConflictError(f"a user with email {data.email} already exists")
        if await self.users.get_by_document_number(data.document_number):
            raise ConflictError(
                f"a user with document number {data.document_number} already exists"
            )
        try:
            user = await self.users.add(User(**data.dict()))
            await self.session.commit()
        except IntegrityError as exc:
            # Another request registered the same email or document meanwhile:
            # the database's unique constraints have the last word.
            await self.session.rollback()
            raise ConflictError("the email or document number is already registered") from exc
        return user

    async def get(self, user_id: int) -> User:
        user = await self.users.get(user_id)
        if user is None:
            raise NotFoundError(f"user {user_id} not found")
        return user

    async def list(
        self, *, role: Optional[UserRole] = None, limit: int = 50, offset: int = 0
    ) -> Sequence[User]:
        return await self.users.list(role=role, limit=limit, offset=offset)
