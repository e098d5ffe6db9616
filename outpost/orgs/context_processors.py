from django.http import HttpRequest

from outpost.core.roles import ROLE_PERMS


def membership(request: HttpRequest) -> dict[str, object]:
    """The membership, and what its role may do, for showing the right links.

    Views still check permissions themselves; this only hides links that
    would be refused.
    """
    current = getattr(request, "membership", None)
    allowed = ROLE_PERMS.get(current.role, frozenset()) if current is not None else frozenset()
    return {"membership": current, "can": {perm.value: True for perm in allowed}}
