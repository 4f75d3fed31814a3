"""irreversible"""
from alembic import op

revision = "e3c000000003"
down_revision = "e2b000000002"
branch_labels = None
depends_on = "e1a000000001"


def upgrade():
    op.execute("DELETE FROM things WHERE id < 0")


def downgrade():
    raise NotImplementedError("deleted rows cannot come back")
