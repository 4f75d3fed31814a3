"""Column types of the service's own."""

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator


class DocumentNumber(TypeDecorator):
    """A national ID or tax number: stored upper-case, without spaces or dashes."""

    impl = sa.String(32)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return "".join(ch for ch in str(value) if ch.isalnum()).upper()

    def process_result_value(self, value, dialect):
        return value
