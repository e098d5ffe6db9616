"""Register every sign-in in the session register.

House rules keep logic out of signals; this receiver is the exception
because a session without a StaffSession row is refused, so every call to
``django.contrib.auth.login`` must make one: the sign-in page, the test
client's ``force_login`` and any sign-in added later. It only calls the
action.
"""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from outpost.accounts import session_keys
from outpost.accounts.actions import start_staff_session
from outpost.orgs.models import User


@receiver(user_logged_in, dispatch_uid="outpost.accounts.register_staff_session")
def register_staff_session(
    sender: type[User], request: HttpRequest | None, user: User, **kwargs: object
) -> None:
    session = getattr(request, "session", None)
    if request is None or session is None:
        return
    staff_session = start_staff_session(
        user=user,
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        replaces=session.get(session_keys.STAFF_SESSION, ""),
    )
    session[session_keys.STAFF_SESSION] = staff_session.public_id
