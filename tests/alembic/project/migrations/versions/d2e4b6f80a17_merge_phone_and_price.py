"""merge phone and price

Revision ID: d2e4b6f80a17
Revises: 5c7e21a9d4f3, a81f0c6b3e92
Create Date: 2023-04-05 14:02:13.664020

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd2e4b6f80a17'
down_revision = ('5c7e21a9d4f3', 'a81f0c6b3e92')
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
