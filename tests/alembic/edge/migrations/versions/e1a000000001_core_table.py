"""core table"""
from alembic import op
import sqlalchemy as sa

revision = "e1a000000001"
down_revision = None
branch_labels = ("core",)
depends_on = None


def upgrade():
    op.create_table("things", sa.Column("id", sa.Integer, primary_key=True))


def downgrade():
    op.drop_table("things")
