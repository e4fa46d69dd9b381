"""stored draws and waivers

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 20:27:20.546301
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0004'
down_revision: Union[str, None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('waivers',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('person_id', sa.String(length=64), nullable=False),
    sa.Column('module_id', sa.String(length=80), nullable=False),
    sa.Column('content_version', sa.String(length=32), nullable=False),
    sa.Column('waived_at', sa.DateTime(), nullable=False),
    sa.Column('diagnostic_attempt_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['diagnostic_attempt_id'], ['attempts.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('person_id', 'module_id', 'diagnostic_attempt_id', name='uq_waiver')
    )
    with op.batch_alter_table('waivers', schema=None) as batch_op:
        batch_op.create_index('ix_waivers_person_module', ['person_id', 'module_id', 'waived_at'], unique=False)

    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('drawn', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('scope', sa.Text(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_column('scope')
        batch_op.drop_column('drawn')

    with op.batch_alter_table('waivers', schema=None) as batch_op:
        batch_op.drop_index('ix_waivers_person_module')

    op.drop_table('waivers')
