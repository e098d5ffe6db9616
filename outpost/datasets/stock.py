"""The stock ledger of a dataset: monthly receipts and daily dispensing.

Each month, a site's store receives whole packs of every item it hands
out, enough to cover the month with a margin, on the month's first day; it
dispenses what its contacts and tests used, one movement per site, day,
item and lot. Items with an expiry come in lots, one per receipt, and are
taken first-expiring-first, so no balance is ever below zero and no lot
expires on the shelf. Balances are summed from these movements at the end.
"""

import datetime
import math
from dataclasses import dataclass

from outpost.catalogue import defaults
from outpost.datasets import plan
from outpost.datasets.days import Days
from outpost.datasets.setup import ITEM_CATEGORIES, World
from outpost.datasets.writer import Row
from outpost.inventory.models import StockMovement

# A use's key is ``site index * KEY_STRIDE + item position``.
KEY_STRIDE = 32
_NEEDS_EXPIRY = frozenset(code for code, _, needs_expiry in defaults.CATEGORIES if needs_expiry)
_RECEIVED_SECOND = 9 * 3600
_DISPENSED_SECOND = 20 * 3600


@dataclass
class Lot:
    name: str
    expires_on: str | None
    on_hand: int


# The lots each day's use of a key was taken from: (lot name, units).
Portions = list[tuple[str, int]]


class Ledger:
    def __init__(self, world: World, days: Days, *, first_id: int) -> None:
        self._world = world
        self._days = days
        self._next_id = first_id
        self._lots: dict[int, list[Lot]] = {}

    def close_month(
        self, first_day: int, uses: list[tuple[int, int, int]]
    ) -> tuple[list[Row], dict[tuple[int, int], Portions]]:
        """Receipts and dispensing for a month's ``(day, key, units)`` uses.

        Return the movement rows and, per ``(day, key)``, the lots taken.
        """
        totals: dict[int, int] = {}
        for _, key, units in uses:
            totals[key] = totals.get(key, 0) + units
        rows = [
            row for key in sorted(totals) for row in self._receive(key, totals[key], first_day)
        ]
        portions: dict[tuple[int, int], Portions] = {}
        for day, key, units in sorted(uses):
            taken = self._take(key, units)
            portions[(day, key)] = [(lot.name, units_taken) for lot, units_taken in taken]
            rows.extend(self._movement(key, day, lot, -units_taken) for lot, units_taken in taken)
        return rows, portions

    def _receive(self, key: int, month_use: int, first_day: int) -> list[Row]:
        lots = self._lots.setdefault(key, [])
        on_hand = sum(lot.on_hand for lot in lots)
        wanted = math.ceil(month_use * plan.STOCK_COVER) - on_hand
        if wanted <= 0:
            return []
        category = ITEM_CATEGORIES[key % KEY_STRIDE]
        pack = plan.PACK_BY_CATEGORY.get(category, plan.DEFAULT_PACK)
        units = math.ceil(wanted / pack) * pack
        if category in _NEEDS_EXPIRY:
            received = self._days.dates[first_day]
            expires = received + datetime.timedelta(days=plan.SHELF_LIFE_DAYS)
            lot = Lot(f"L{received:%Y%m}", expires.isoformat(), units)
            lots.append(lot)
        elif lots:
            lot = lots[0]
            lot.on_hand += units
        else:
            lot = Lot("", None, units)
            lots.append(lot)
        return [self._movement(key, first_day, lot, units)]

    def _take(self, key: int, units: int) -> list[tuple[Lot, int]]:
        lots = self._lots[key]
        taken: list[tuple[Lot, int]] = []
        while units:
            lot = lots[0]
            share = min(units, lot.on_hand)
            lot.on_hand -= share
            units -= share
            taken.append((lot, share))
            # A used-up lot with an expiry never comes back; the one lot
            # of an item without expiry takes the next receipt.
            if lot.on_hand == 0 and lot.expires_on is not None:
                lots.pop(0)
        return taken

    def _movement(self, key: int, day: int, lot: Lot, units: int) -> Row:
        site = self._world.sites[key // KEY_STRIDE]
        item_id = self._world.orgs[site.org_index].item_ids[key % KEY_STRIDE]
        receipt = units > 0
        kind = StockMovement.Kind.RECEIPT if receipt else StockMovement.Kind.DISPENSE
        second = _RECEIVED_SECOND if receipt else _DISPENSED_SECOND
        movement_id = self._next_id
        self._next_id += 1
        return (
            movement_id,
            site.org_id,
            site.location_id,
            item_id,
            lot.name,
            lot.expires_on,
            kind.value,
            units,
            self._days.text[day],
            None,
            None,
            None,
            plan.SUPPLIER if receipt else "",
            "",
            "",
            site.worker_id,
            self._days.moment(day, second),
            None,
        )
