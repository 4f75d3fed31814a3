"""create real_estate

Revision ID: 9b41d07e2c55
Revises: 3f2a9c1e7b10
Create Date: 2023-03-20 16:05:31.902114

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9b41d07e2c55'
down_revision = '3f2a9c1e7b10'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'real_estate',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('owner_id', sa.Integer(), sa.ForeignKey('users.id', ondelete='CASCADE'), nullable=False),
        sa.Column('address', sa.String(length=255), nullable=False),
        sa.Column('city', sa.String(length=100), nullable=False, index=True),
        sa.Column('postal_code', sa.String(length=16), nullable=False, index=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    )
    op.create_index('ix_real_estate_owner_id', 'real_estate', ['owner_id'])


def downgrade() -> None:
    op.drop_index('ix_real_estate_owner_id', table_name='real_estate')
    op.drop_table('real_estate')
