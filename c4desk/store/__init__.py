"""Persistence: SQLAlchemy models, migrations, repositories and the event bus. The only place that writes SQL."""
