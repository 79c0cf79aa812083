"""Alembic revisions, one file each; 0001-0003 are the three steps of the old mechanism."""
