"""index real_estate owner and price

Revision ID: 1b8f3e6d9c24
Revises: c49d2f7a6e01
Create Date: 2023-07-09 09:03:27.740318

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1b8f3e6d9c24'
down_revision = 'c49d2f7a6e01'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # real_estate is big and busy in production: build the index without
    # locking out writes. CONCURRENTLY cannot run inside a transaction block.
    # (On SQLite the option is ignored.)
    with op.get_context().autocommit_block():
        op.create_index(
            'ix_real_estate_owner_price',
            'real_estate',
            ['owner_id', 'price'],
            unique=False,
            postgresql_concurrently=True,
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index(
            'ix_real_estate_owner_price',
            table_name='real_estate',
            postgresql_concurrently=True,
        )
