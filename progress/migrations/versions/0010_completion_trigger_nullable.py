"""a completion may outlive the answer that completed it: completions.trigger_step_id becomes nullable, so that
retention (gallring) can delete old answers while the completion, which still decides a person's status, stays

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 10:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0010'
down_revision: Union[str, None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # batch mode: SQLite copies the table (with its unique key, foreign keys and indexes); PostgreSQL alters it
    with op.batch_alter_table('completions', schema=None) as batch_op:
        batch_op.alter_column('trigger_step_id', existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    culled = op.get_bind().execute(sa.text("SELECT count(*) FROM completions WHERE trigger_step_id IS NULL")).scalar()
    if culled:
        raise RuntimeError(f"{culled} genomföranden saknar svaret som avslutade dem (det har gallrats); "
                           "den äldre databasversionen kräver det svaret, så nedgraderingen avbryts.")
    with op.batch_alter_table('completions', schema=None) as batch_op:
        batch_op.alter_column('trigger_step_id', existing_type=sa.Integer(), nullable=False)
