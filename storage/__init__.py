"""All SQL of reviewbot lives in this package: schema, migrations and the repositories."""

from storage.db import Database

__all__ = ["Database"]
