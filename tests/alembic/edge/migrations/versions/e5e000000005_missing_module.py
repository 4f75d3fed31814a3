"""missing module"""
from alembic import op

import app_module_that_does_not_exist  # noqa: F401

revision = "e5e000000005"
down_revision = "e4d000000004"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("SELECT 1")


def downgrade():
    pass
