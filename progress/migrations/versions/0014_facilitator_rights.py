"""facilitator_rights: an admin lets a person lead group sessions for a unit (and the units under it) without
managing it; a table of its own, since the HR import replaces people's roles

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-09 10:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0014'
down_revision: Union[str, None] = '0013'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'facilitator_rights',
        sa.Column('person_id', sa.String(length=64), nullable=False),
        sa.Column('unit_id', sa.String(length=64), nullable=False),
        sa.Column('granted_by', sa.String(length=64), nullable=True),
        sa.Column('granted_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['people.id']),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id']),
        sa.PrimaryKeyConstraint('person_id', 'unit_id'),
    )
    op.create_index(op.f('ix_facilitator_rights_unit_id'), 'facilitator_rights', ['unit_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_facilitator_rights_unit_id'), table_name='facilitator_rights')
    op.drop_table('facilitator_rights')
