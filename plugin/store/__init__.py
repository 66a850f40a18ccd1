"""The store: the only code that speaks SQL. SQLite by default, under STANCEDESK_HOME; PostgreSQL when
STANCEDESK_DATABASE_URL is a postgresql:// URL (``backends.py``)."""

from plugin.store.db import SCHEMA_VERSION, Store, open_store

__all__ = ["SCHEMA_VERSION", "Store", "open_store"]
