from django.utils.translation import gettext

from outpost.core.errors import DomainError


class OutOfStock(DomainError):
    def __init__(self, *, item_name: str, on_hand: int, requested: int, expired: int = 0) -> None:
        values = {"item": item_name, "on_hand": on_hand, "requested": requested}
        if expired:
            message = gettext(
                "Not enough usable %(item)s: %(on_hand)d on hand, %(requested)d asked for; "
                "%(expired)d more have expired and cannot be handed out."
            ) % {**values, "expired": expired}
        else:
            message = (
                gettext(
                    "Not enough %(item)s in stock: %(on_hand)d on hand, %(requested)d asked for."
                )
                % values
            )
        super().__init__(message)
        self.item_name = item_name
        self.requested = requested
        self.on_hand = on_hand
        self.expired = expired
