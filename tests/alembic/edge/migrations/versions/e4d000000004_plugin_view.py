"""plugin view"""
from alembic import op

revision = "e4d000000004"
down_revision = "e3c000000003"
branch_labels = None
depends_on = None


def upgrade():
    # An operation that a plugin (alembic_utils) would register: not Alembic's own.
    op.create_view("things_view", "SELECT id FROM things")


def downgrade():
    op.drop_view("things_view")
