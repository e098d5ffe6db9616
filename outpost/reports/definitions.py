"""The indicators of SPEC §3.1 and the splits of SPEC §3.3, with their wording.

A *measure* is one number a report shows. Most indicators are one measure;
some carry more (naloxone units and recipients, referrals made and
completed, overdoses by outcome). Each measure names the SPEC indicator it
belongs to, says exactly what it counts, and lists the splits it can take.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from outpost.room.models import OverdoseIncident

# The splits of SPEC §3.3, plus the month for trends.
SEX = "sex"
AGE_BAND = "age_band"
AGE_BAND_FINE = "age_band_fine"
GROUP = "group"
CHANNEL = "channel"
SITE = "site"
ORG = "org"
MONTH = "month"
DIMENSIONS = (SEX, AGE_BAND, AGE_BAND_FINE, GROUP, CHANNEL, SITE, ORG, MONTH)

DIMENSION_NAMES: dict[str, Promise] = {
    SEX: _("Sex"),
    AGE_BAND: _("Age band"),
    AGE_BAND_FINE: _("Age band (finer)"),
    GROUP: _("Population group"),
    CHANNEL: _("Channel"),
    SITE: _("Site"),
    ORG: _("Organisation"),
    MONTH: _("Month"),
}

ALL = frozenset(DIMENSIONS)
NO_CHANNEL = ALL - {CHANNEL}
PLACE_AND_TIME = frozenset({SITE, ORG, MONTH})
CONTINUITY = ALL - {MONTH}
TOTAL_ONLY: frozenset[str] = frozenset()

COUNT = "count"
SUM = "sum"
RATIO = "ratio"


@dataclass(frozen=True)
class Measure:
    id: str
    indicator: str
    name: str | Promise
    definition: str | Promise
    splits: frozenset[str]
    kind: str = COUNT
    # Distinct counts (of clients) are never added up across cells.
    distinct: bool = False


MEASURES: tuple[Measure, ...] = (
    Measure(
        "contacts",
        "contacts",
        _("Contacts"),
        _("Contacts in the period, anonymous ones included."),
        ALL,
        SUM,
    ),
    Measure(
        "clients_reached",
        "clients_reached",
        _("Unique clients reached"),
        _("Distinct clients with at least one contact in the period."),
        ALL,
        distinct=True,
    ),
    Measure(
        "clients_new",
        "clients_new",
        _("New clients"),
        _("Clients whose first contact ever with the organisation falls in the period."),
        ALL,
        distinct=True,
    ),
    Measure(
        "package_reached",
        "package_reached",
        _("Reached with the defined package"),
        _(
            "Distinct clients who, within the period, received every component of the "
            "organisation's defined package."
        ),
        ALL,
        distinct=True,
    ),
    Measure(
        "hiv_tested",
        "hiv_tested",
        _("Tested for HIV and know the result"),
        _(
            "Distinct clients with at least one HIV test in the period whose reactive or "
            "non-reactive result was given to them; invalid results and self-tests without "
            "a reported result do not count."
        ),
        ALL,
        distinct=True,
    ),
    Measure(
        "syringes",
        "syringes",
        _("Syringes distributed"),
        _("Units of items in the category syringe (a syringe with its needle is one unit)."),
        ALL,
        SUM,
    ),
    Measure(
        "needles",
        "needles",
        _("Extra needles distributed"),
        _("Units of items in the category needle."),
        ALL,
        SUM,
    ),
    Measure(
        "syringes_returned",
        "syringes_returned",
        _("Used syringes collected"),
        _("Used syringes taken back."),
        ALL,
        SUM,
    ),
    Measure(
        "syringes_returned.rate",
        "syringes_returned",
        _("Return rate"),
        _("Used syringes collected divided by syringes distributed."),
        ALL,
        RATIO,
    ),
    Measure(
        "naloxone",
        "naloxone",
        _("Naloxone distributed"),
        _("Units of items in the category naloxone."),
        ALL,
        SUM,
    ),
    Measure(
        "naloxone.recipients",
        "naloxone",
        _("Naloxone recipients"),
        _("Distinct clients who received naloxone."),
        ALL,
        distinct=True,
    ),
    Measure(
        "condoms",
        "condoms",
        _("Condoms distributed"),
        _("Units of items in the category condom."),
        ALL,
        SUM,
    ),
    Measure(
        "overdoses",
        "overdoses",
        _("Overdoses responded to"),
        _("Overdose incidents recorded."),
        PLACE_AND_TIME,
        SUM,
    ),
    *(
        Measure(
            f"overdoses.{outcome.value}",
            "overdoses",
            format_lazy("{}: {}", _("Overdoses"), outcome.label),
            _("Overdose incidents with this outcome."),
            PLACE_AND_TIME,
            SUM,
        )
        for outcome in OverdoseIncident.Outcome
    ),
    Measure(
        "overdoses.naloxone_doses",
        "overdoses",
        _("Naloxone doses given in overdoses"),
        _("Doses of naloxone given in the overdoses recorded."),
        PLACE_AND_TIME,
        SUM,
    ),
    Measure(
        "referrals",
        "referrals",
        _("Referrals made"),
        _("Referrals issued in the period."),
        NO_CHANNEL,
        SUM,
    ),
    Measure(
        "referrals.completed",
        "referrals",
        _("Referrals completed"),
        _("Of the referrals issued in the period, those where the client reached the service."),
        NO_CHANNEL,
        SUM,
    ),
    Measure(
        "syringes_per_pwid",
        "syringes_per_pwid",
        _("Syringes per person who injects"),
        _(
            "Syringes distributed over the 12 months ending with the period, divided by the "
            "population size estimate entered for the area."
        ),
        TOTAL_ONLY,
        RATIO,
    ),
    Measure(
        "continuity.cohort",
        "continuity",
        _("Active before the period"),
        _("Distinct clients with a contact in the 90 days before the period starts."),
        CONTINUITY,
        distinct=True,
    ),
    Measure(
        "continuity.kept",
        "continuity",
        _("Of them, reached in the period"),
        _("Clients of that cohort with a contact in the period."),
        CONTINUITY,
        distinct=True,
    ),
    Measure(
        "continuity",
        "continuity",
        _("Reach kept"),
        _(
            "Of the clients with a contact in the 90 days before the period starts, the share "
            "with a contact in the period."
        ),
        CONTINUITY,
        RATIO,
    ),
)

MEASURES_BY_ID = {measure.id: measure for measure in MEASURES}

# The SPEC §3.1 indicator ids, in order, for configuration forms.
INDICATORS = tuple(dict.fromkeys(measure.indicator for measure in MEASURES))
