"""What contacts hand out: a fixed variety of handouts per kind of client.

Drawing each contact's kits and extras afresh would cost several random
numbers and a list per contact; instead each kind of client gets
``HANDOUT_VARIETY`` handouts drawn once, and a contact picks one of them
with a single random number. The mix of handouts is the same either way.
"""

from dataclasses import dataclass
from random import Random

from outpost.catalogue import defaults
from outpost.datasets import plan
from outpost.datasets.plan import Weighted
from outpost.datasets.setup import ITEM_CATEGORIES, ITEM_NAMES, OrgRef

SELF_TEST_POSITION = ITEM_NAMES.index("HIV saliva self-test")
_SYRINGE_POSITIONS = frozenset(
    place for place, category in enumerate(ITEM_CATEGORIES) if category == "syringe"
)
_POSITION = {name: place for place, name in enumerate(ITEM_NAMES)}

# (item position, kit name or "", quantity)
RecipeLine = tuple[int, str, int]
Recipe = tuple[RecipeLine, ...]


@dataclass(frozen=True)
class Handout:
    """One contact's item lines, resolved to one organisation's ids."""

    # (item id, kit id or None, quantity, item position)
    lines: tuple[tuple[int, int | None, int, int], ...]
    syringes: int
    units: int
    # The line handing out self-tests, or -1.
    self_test_line: int


NOTHING = Handout(lines=(), syringes=0, units=0, self_test_line=-1)


def draw_recipes(rng: Random) -> tuple[list[Recipe], list[Recipe]]:
    """The handouts of injecting clients, then of everyone else."""
    counts = Weighted(plan.KIT_COUNTS)
    injecting = [
        _recipe(rng, plan.INJECTING_KIT, counts.draw(rng), plan.INJECTING_EXTRAS)
        for _ in range(plan.HANDOUT_VARIETY)
    ]
    others: list[Recipe] = []
    for _ in range(plan.HANDOUT_VARIETY):
        with_kit = rng.random() < plan.OTHER_MAIN_KIT_SHARE
        kit = plan.SAFER_SEX_KIT if with_kit else ""
        others.append(_recipe(rng, kit, rng.randint(1, 3), plan.OTHER_EXTRAS))
    return injecting, others


def resolve(recipes: list[Recipe], org: OrgRef) -> list[Handout]:
    return [_resolve(recipe, org) for recipe in recipes]


def _recipe(
    rng: Random,
    kit: str,
    count: int,
    extras: tuple[tuple[float, str, str, tuple[int, int]], ...],
) -> Recipe:
    lines: list[RecipeLine] = _kit_lines(kit, count) if kit else []
    for share, kind, name, (low, high) in extras:
        if rng.random() < share:
            quantity = rng.randint(low, high)
            if kind == "kit":
                lines.extend(_kit_lines(name, quantity))
            else:
                lines.append((_POSITION[name], "", quantity))
    if not lines:
        lines.append((_POSITION["Overdose first-aid leaflet"], "", 1))
    return tuple(lines)


def _kit_lines(kit: str, count: int) -> list[RecipeLine]:
    return [(_POSITION[item], kit, quantity * count) for item, quantity in defaults.KITS[kit]]


def _resolve(recipe: Recipe, org: OrgRef) -> Handout:
    lines = tuple(
        (org.item_ids[place], org.kits[kit].kit_id if kit else None, quantity, place)
        for place, kit, quantity in recipe
    )
    self_tests = [number for number, line in enumerate(lines) if line[3] == SELF_TEST_POSITION]
    return Handout(
        lines=lines,
        syringes=sum(line[2] for line in lines if line[3] in _SYRINGE_POSITIONS),
        units=sum(line[2] for line in lines),
        self_test_line=self_tests[0] if self_tests else -1,
    )
