"""SQLite (the demo and trial installs) answering bad input and races as PostgreSQL does.

- An integer beyond 64 bits (`?unit=99999999999999999999`) is an OverflowError inside Python's
  sqlite3 module, a 500; PostgreSQL simply compares it and finds nothing. Such values are passed
  to SQLite as text, which an INTEGER column never equals, so the lookup finds nothing here too.
- Racing writers: a deferred transaction that reads and then writes can only fail with
  "database is locked" (the busy timeout cannot help it), so every transaction takes the write
  lock when it begins (settings: "transaction_mode": "IMMEDIATE") and waits up to the timeout.
"""

import sqlite3

from django.db.backends.sqlite3 import base

_MIN, _MAX = -(2**63), 2**63 - 1


def _adapt_int(value: int) -> int | str:
    return value if _MIN <= value <= _MAX else str(value)


sqlite3.register_adapter(int, _adapt_int)


class DatabaseWrapper(base.DatabaseWrapper):
    pass
