"""Alembic environment: runs on the connection progress.db.migrate() hands over (or on COURSE_DATABASE_URL)."""

from alembic import context

from progress.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:  # `alembic` on the command line, e.g. to autogenerate a new revision
        from progress.db import make_engine

        with make_engine().connect() as own:
            _configure_and_run(own)
            own.commit()
        return
    _configure_and_run(connection)


def _configure_and_run(connection) -> None:
    # batch mode: SQLite cannot ALTER most things, so Alembic copies the table instead
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


run()
