"""group sessions for the workplace meeting (APT): the sessions, their events, anonymous vote counts and ballots,
who joined, and the record each confirmed participant gets

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08 10:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0013'
down_revision: Union[str, None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'group_sessions',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('code', sa.String(length=8), nullable=False),
        sa.Column('facilitator_id', sa.String(length=64), nullable=False),
        sa.Column('unit_id', sa.String(length=64), nullable=False),
        sa.Column('module_id', sa.String(length=80), nullable=False),
        sa.Column('scenario_id', sa.String(length=80), nullable=False),
        sa.Column('content_version', sa.String(length=32), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('seed', sa.Integer(), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('ended_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['facilitator_id'], ['people.id']),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('code'),
    )
    op.create_index('ix_group_sessions_facilitator', 'group_sessions', ['facilitator_id', 'started_at'])
    op.create_index('ix_group_sessions_unit', 'group_sessions', ['unit_id', 'started_at'])
    op.create_table(
        'group_events',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=24), nullable=False),
        sa.Column('step_no', sa.Integer(), nullable=False),
        sa.Column('node_id', sa.String(length=80), nullable=False),
        sa.Column('choice_index', sa.Integer(), nullable=True),
        sa.Column('tally', sa.Text(), nullable=True),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['session_id'], ['group_sessions.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('session_id', 'seq', name='uq_group_event_seq'),
    )
    # Anonymous votes (see progress/models.py): counts without voters, ballots without choices, neither with a time
    op.create_table(
        'group_vote_counts',
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('step_no', sa.Integer(), nullable=False),
        sa.Column('choice_index', sa.Integer(), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['session_id'], ['group_sessions.id']),
        sa.PrimaryKeyConstraint('session_id', 'step_no', 'choice_index'),
    )
    op.create_table(
        'group_ballots',
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('step_no', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['people.id']),
        sa.ForeignKeyConstraint(['session_id'], ['group_sessions.id']),
        sa.PrimaryKeyConstraint('session_id', 'step_no', 'person_id'),
    )
    op.create_table(
        'group_participants',
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.String(length=64), nullable=False),
        sa.Column('joined_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['people.id']),
        sa.ForeignKeyConstraint(['session_id'], ['group_sessions.id']),
        sa.PrimaryKeyConstraint('session_id', 'person_id'),
    )
    op.create_index(op.f('ix_group_participants_person_id'), 'group_participants', ['person_id'])
    op.create_table(
        'group_session_records',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.String(length=64), nullable=False),
        sa.Column('module_id', sa.String(length=80), nullable=False),
        sa.Column('scenario_id', sa.String(length=80), nullable=False),
        sa.Column('content_version', sa.String(length=32), nullable=False),
        sa.Column('held_on', sa.Date(), nullable=False),
        sa.Column('facilitator_id', sa.String(length=64), nullable=False),
        sa.Column('participants', sa.Integer(), nullable=False),
        sa.Column('ending', sa.String(length=16), nullable=True),
        sa.Column('confirmed_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['facilitator_id'], ['people.id']),
        sa.ForeignKeyConstraint(['person_id'], ['people.id']),
        sa.ForeignKeyConstraint(['session_id'], ['group_sessions.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('session_id', 'person_id', name='uq_group_session_record'),
    )
    op.create_index('ix_group_session_records_person', 'group_session_records', ['person_id', 'module_id', 'held_on'])
    op.create_index('ix_group_session_records_held', 'group_session_records', ['held_on', 'module_id'])


def downgrade() -> None:
    op.drop_index('ix_group_session_records_held', table_name='group_session_records')
    op.drop_index('ix_group_session_records_person', table_name='group_session_records')
    op.drop_table('group_session_records')
    op.drop_index(op.f('ix_group_participants_person_id'), table_name='group_participants')
    op.drop_table('group_participants')
    op.drop_table('group_ballots')
    op.drop_table('group_vote_counts')
    op.drop_table('group_events')
    op.drop_index('ix_group_sessions_unit', table_name='group_sessions')
    op.drop_index('ix_group_sessions_facilitator', table_name='group_sessions')
    op.drop_table('group_sessions')
