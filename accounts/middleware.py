"""Session limits and the forced password change, for every page a person signs in to."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse

# Session keys: when this login started, and when its last request came (epoch seconds).
STARTED = "accounts_started"
SEEN = "accounts_seen"
# last-seen is written at most this often, so an active user's requests do not each save the
# session row; idle expiry is exact to within this many seconds.
SEEN_RESOLUTION = 60


def stamp_login(sender, request, user, **kwargs) -> None:
    """At every login (Django's user_logged_in: the login form, the admin's, force_login in
    tests): the session's clocks start here, saved with the login itself, so the first page
    after it writes nothing more."""
    request.session[STARTED] = request.session[SEEN] = int(time.time())


class SessionLimitsMiddleware:
    """Ends a session idle for SESSION_IDLE_SECONDS, or SESSION_MAX_AGE_SECONDS after its login."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            self._check(request)
        return self.get_response(request)

    def _check(self, request) -> None:
        session, now = request.session, int(time.time())
        started, seen = session.get(STARTED), session.get(SEEN)
        if started is None or seen is None:  # a session from before these limits existed
            session[STARTED] = session[SEEN] = now
            return
        if now - seen > settings.SESSION_IDLE_SECONDS:
            reason = "长时间未操作，已自动退出，请重新登录。"
        elif now - started > settings.SESSION_MAX_AGE_SECONDS:
            reason = "登录时间已到上限，请重新登录。"
        else:
            if now - seen >= SEEN_RESOLUTION:
                session[SEEN] = now
            return
        logout(request)
        # After logout: the message goes into the new, anonymous session the login page reads.
        messages.info(request, reason)


class SignedInGate:
    """A middleware that may answer instead of the resolved view, for some signed-in users:
    `concerns(user)` says whom, `answer(request, match)` returns the response or None."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not (user.is_authenticated and self.concerns(user)):
            return None
        return self.answer(request, request.resolver_match)

    def concerns(self, user) -> bool:
        raise NotImplementedError

    def answer(self, request, match):
        raise NotImplementedError


class ForcePasswordChangeMiddleware(SignedInGate):
    """A user whose password the admin set may only change it (or sign out) until they do."""

    ALLOWED_NAMES = frozenset({"password_change", "logout"})

    def concerns(self, user) -> bool:
        return user.must_change_password

    def answer(self, request, match):
        if match is not None and match.view_name in self.ALLOWED_NAMES:
            return None
        return redirect(reverse("password_change"))
