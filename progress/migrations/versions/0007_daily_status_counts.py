"""daily status counts: the dashboard's counts per unit, role mask and module, kept for the day

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 22:45:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0007'
down_revision: Union[str, None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('daily_status_counts',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('rules_key', sa.String(length=16), nullable=False),
    sa.Column('unit_id', sa.String(length=64), nullable=False),
    sa.Column('mask', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.String(length=80), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'rules_key', 'unit_id', 'mask', 'module_id', 'status')
    )


def downgrade() -> None:
    op.drop_table('daily_status_counts')
