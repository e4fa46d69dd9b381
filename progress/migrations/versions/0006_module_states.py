"""module states: the latest completion, waiver and start per person and module

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 22:30:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0006'
down_revision: Union[str, None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('module_states',
    sa.Column('person_id', sa.String(length=64), nullable=False),
    sa.Column('module_id', sa.String(length=80), nullable=False),
    sa.Column('last_completed_at', sa.DateTime(), nullable=True),
    sa.Column('last_score', sa.Double(), nullable=True),
    sa.Column('last_waived_at', sa.DateTime(), nullable=True),
    sa.Column('last_started_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], ),
    sa.PrimaryKeyConstraint('person_id', 'module_id')
    )
    # Filled from the records at the next start (progress.states.rebuild runs when states.out_of_date).


def downgrade() -> None:
    op.drop_table('module_states')
