"""normalize user emails

Lower-case and trim every user's email: the login compares them that way
since release 2.3.

Revision ID: 7e3c9a51b2d8
Revises: d2e4b6f80a17
Create Date: 2023-05-11 10:31:40.127554

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7e3c9a51b2d8'
down_revision = 'd2e4b6f80a17'
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text('SELECT id, email FROM users')).fetchall()
    for user_id, email in rows:
        normalized = email.strip().lower()
        if normalized != email:
            bind.execute(
                sa.text('UPDATE users SET email = :email WHERE id = :id'),
                {'email': normalized, 'id': user_id},
            )


def downgrade() -> None:
    # The original spelling is gone; nothing to undo.
    pass
