"""Who, from where and by what path a change was made, attached to every change it causes.

pghistory stores this "context" once per request, command or task and links each change event
to it: a web request gives the user, the client's IP, the method and path; a management command
its name and arguments; a Celery task its name and id. The context is passed to PostgreSQL as a
transaction-local setting prefixed to each write; SQLite has no triggers to read it, so nothing
is attached there (and nothing must be prefixed: SQLite would not parse it).
"""

import contextlib
import functools
import sys

import pghistory
from celery import Task
from django.core.handlers.wsgi import WSGIRequest as DjangoWSGIRequest
from django.db import connection
from pghistory.middleware import WSGIRequest

from accounts.lockout import client_ip


def tracking_enabled() -> bool:
    return connection.vendor == "postgresql"


def audit_context(**metadata):
    """pghistory.context on PostgreSQL, nothing elsewhere. Nested calls add to the outer one."""
    if not tracking_enabled():
        return contextlib.nullcontext()
    return pghistory.context(**metadata)


def request_metadata(request) -> dict:
    user = getattr(request, "user", None)
    return {
        "user": user.pk if user is not None and user.is_authenticated else None,
        "ip": client_ip(request),
        "url": request.path,
        "method": request.method,
    }


class AuditContextMiddleware:
    """Every request runs in a context of its user, IP, method and path. An API client is
    authenticated inside the view (Django REST framework): pghistory's request class updates
    the context when `request.user` is set there, and at a login."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not tracking_enabled():
            return self.get_response(request)
        with pghistory.context(**request_metadata(request)):
            if isinstance(request, DjangoWSGIRequest):
                request.__class__ = WSGIRequest
            return self.get_response(request)


def install_command_context() -> None:
    """Every management command — ours, Django's (loaddata, shell, createsuperuser) and any
    script run through manage.py — runs in a context naming it, so a change made from a shell
    is as attributable as one made from a page. Wrapping BaseCommand.execute is the one place
    every command passes through, whether started by manage.py or call_command."""
    from django.core.management.base import BaseCommand

    if getattr(BaseCommand.execute, "audit_wrapped", False):
        return
    original = BaseCommand.execute

    @functools.wraps(original)
    def execute(self, *args, **options):
        name = self.__module__.rsplit(".", 1)[-1]
        argv = " ".join(sys.argv[1:])[:500] if sys.argv and "manage" in sys.argv[0] else ""
        with audit_context(command=name, argv=argv):
            return original(self, *args, **options)

    execute.audit_wrapped = True
    BaseCommand.execute = execute


class AuditedTask(Task):
    """The base of every task (anjian.celery): what it changes is attributed to the task."""

    def __call__(self, *args, **kwargs):
        with audit_context(task=self.name, task_id=getattr(self.request, "id", None)):
            return super().__call__(*args, **kwargs)
