"""Celery tasks: thin wrappers that take ids and call the plain-function modules.

Each family lives in its own module; importing them here lets autodiscovery find them."""

from . import exports  # noqa: E402,F401
from . import reminders  # noqa: E402,F401
from . import bulletins  # noqa: E402,F401
