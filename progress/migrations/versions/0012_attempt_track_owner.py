"""attempts.track_id: a track's topic quiz (the refresher's diagnostic, the booster) belongs to the track, in a
column of its own; module_id held "track:<id>" for them, so one column meant two things

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 10:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0012'
down_revision: Union[str, None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

OLD_PREFIX = 'track:'  # what 0011 and earlier wrote in module_id for a track's attempt


def upgrade() -> None:
    # batch mode: SQLite copies the table (with its unique key, foreign keys and indexes); PostgreSQL alters it
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('track_id', sa.String(length=80), nullable=True))
        batch_op.alter_column('module_id', existing_type=sa.String(length=80), nullable=True)
    op.execute(sa.text(f"UPDATE attempts SET track_id = substr(module_id, {len(OLD_PREFIX) + 1}), module_id = NULL "
                       f"WHERE module_id LIKE '{OLD_PREFIX}%'"))
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.create_check_constraint('ck_attempt_owner', '(module_id IS NULL) <> (track_id IS NULL)')


def downgrade() -> None:
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_constraint('ck_attempt_owner', type_='check')
    op.execute(sa.text(f"UPDATE attempts SET module_id = '{OLD_PREFIX}' || track_id, track_id = NULL "
                       "WHERE track_id IS NOT NULL"))
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.alter_column('module_id', existing_type=sa.String(length=80), nullable=False)
        batch_op.drop_column('track_id')
