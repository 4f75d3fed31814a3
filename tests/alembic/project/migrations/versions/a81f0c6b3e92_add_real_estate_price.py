"""add real_estate.price

Revision ID: a81f0c6b3e92
Revises: 9b41d07e2c55
Create Date: 2023-04-03 08:20:55.017342

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a81f0c6b3e92'
down_revision = '9b41d07e2c55'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('real_estate', sa.Column('price', sa.Numeric(precision=12, scale=2), server_default='0', nullable=False))


def downgrade() -> None:
    op.drop_column('real_estate', 'price')
