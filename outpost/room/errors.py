from django.utils.translation import gettext

from outpost.core.errors import DomainError


class RoomFull(DomainError):
    """Every place inside is taken; the client may join the waiting list."""

    def __init__(self, *, inside: int, capacity: int) -> None:
        super().__init__(
            gettext(
                "The room is full: %(inside)d of %(capacity)d places taken. "
                "Add the client to the waiting list."
            )
            % {"inside": inside, "capacity": capacity}
        )
