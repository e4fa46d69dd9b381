"""covering indexes for the dashboard's completions per month and topic heat map (they replace the
narrower indexes with the same leading columns, which the planner would otherwise pick)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 23:10:00
"""
from typing import Sequence, Union

from alembic import op


revision: str = '0008'
down_revision: Union[str, None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('completions', schema=None) as batch_op:
        batch_op.drop_index('ix_completions_completed_at')
        batch_op.create_index('ix_completions_period', ['completed_at', 'person_id', 'module_id', 'score_percent'],
                              unique=False)
    with op.batch_alter_table('topic_tallies', schema=None) as batch_op:
        batch_op.drop_index('ix_topic_tallies_role_month')
        batch_op.create_index('ix_topic_tallies_period', ['role', 'month', 'unit_id', 'topic', 'answered', 'correct'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('topic_tallies', schema=None) as batch_op:
        batch_op.drop_index('ix_topic_tallies_period')
        batch_op.create_index('ix_topic_tallies_role_month', ['role', 'month'], unique=False)
    with op.batch_alter_table('completions', schema=None) as batch_op:
        batch_op.drop_index('ix_completions_period')
        batch_op.create_index('ix_completions_completed_at', ['completed_at'], unique=False)
