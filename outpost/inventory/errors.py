from django.utils.translation import gettext

from outpost.core.errors import DomainError


class OutOfStock(DomainError):
    def __init__(self, *, item_name: str, on_hand: int, requested: int) -> None:
        super().__init__(
            gettext("Not enough %(item)s in stock: %(on_hand)d on hand, %(requested)d asked for.")
            % {"item": item_name, "on_hand": on_hand, "requested": requested}
        )
        self.on_hand = on_hand
