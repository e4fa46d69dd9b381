"""The store: the only code that writes. SQLAlchemy 2 on SQLite (default) or PostgreSQL."""
