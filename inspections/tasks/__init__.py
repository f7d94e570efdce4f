"""Celery tasks: thin wrappers that take ids and call the plain-function modules.

Each family lives in its own module; importing them here lets autodiscovery find them."""

from . import bulletins, exports, imports, notifications, reminders, sweeper

__all__ = ["bulletins", "exports", "imports", "notifications", "reminders", "sweeper"]
