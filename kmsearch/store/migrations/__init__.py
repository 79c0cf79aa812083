"""Alembic migrations of the kmsearch database (run by kmsearch.store.migration.upgrade).

Each revision in versions/ writes its DDL out literally and never imports the table
definitions of kmsearch.store: a revision must create the same tables in a year as today.
"""
