"""The catalogue Outpost ships with.

Names are marked with ``gettext_noop`` so they enter the translation
catalogues; ``TranslatedNameMixin`` shows them in the reader's language.
"""

from django.utils.translation import gettext_noop

# (code, name, needs expiry) — indicators count by these codes. Migration
# 0002 loads the same rows; installing a catalogue restores any missing one.
CATEGORIES = [
    ("syringe", gettext_noop("Syringe"), False),
    ("needle", gettext_noop("Needle"), False),
    ("alcohol_wipe", gettext_noop("Alcohol wipe"), False),
    ("water", gettext_noop("Water for injection"), False),
    ("condom", gettext_noop("Condom"), False),
    ("lubricant", gettext_noop("Lubricant"), False),
    ("naloxone", gettext_noop("Naloxone"), True),
    ("hiv_self_test", gettext_noop("HIV self-test"), True),
    ("rapid_test_hiv", gettext_noop("Rapid test: HIV"), True),
    ("rapid_test_hbv", gettext_noop("Rapid test: HBV"), True),
    ("rapid_test_hcv", gettext_noop("Rapid test: HCV"), True),
    ("rapid_test_syphilis", gettext_noop("Rapid test: syphilis"), True),
    ("information", gettext_noop("Information material"), False),
    ("kit", gettext_noop("Assembled kit"), False),
]

# (category code, name)
ITEMS = [
    ("syringe", gettext_noop("Syringe 1 ml")),
    ("syringe", gettext_noop("Syringe 2 ml")),
    ("syringe", gettext_noop("Syringe 5 ml")),
    ("needle", gettext_noop("Needle 27G")),
    ("alcohol_wipe", gettext_noop("Alcohol wipe")),
    ("water", gettext_noop("Water for injection 2 ml")),
    ("condom", gettext_noop("Condom")),
    ("lubricant", gettext_noop("Lubricant sachet")),
    ("naloxone", gettext_noop("Naloxone 0.4 mg/ml ampoule")),
    ("hiv_self_test", gettext_noop("HIV saliva self-test")),
    ("rapid_test_hiv", gettext_noop("HIV rapid test")),
    ("rapid_test_hbv", gettext_noop("HBV rapid test")),
    ("rapid_test_hcv", gettext_noop("HCV rapid test")),
    ("rapid_test_syphilis", gettext_noop("Syphilis rapid test")),
    ("information", gettext_noop("Overdose first-aid leaflet")),
]

# name → [(item name, quantity)]
KITS = {
    gettext_noop("Injecting kit"): [
        (gettext_noop("Syringe 2 ml"), 5),
        (gettext_noop("Needle 27G"), 5),
        (gettext_noop("Alcohol wipe"), 10),
        (gettext_noop("Water for injection 2 ml"), 5),
    ],
    gettext_noop("Safer sex kit"): [
        (gettext_noop("Condom"), 5),
        (gettext_noop("Lubricant sachet"), 2),
    ],
    gettext_noop("Naloxone kit"): [
        (gettext_noop("Naloxone 0.4 mg/ml ampoule"), 2),
        (gettext_noop("Syringe 2 ml"), 2),
        (gettext_noop("Overdose first-aid leaflet"), 1),
    ],
}

# (code, name)
SERVICE_TYPES = [
    ("counselling", gettext_noop("Counselling")),
    ("information", gettext_noop("Information session")),
    ("testing", gettext_noop("Testing")),
    ("referral", gettext_noop("Referral")),
    ("safer_use_space", gettext_noop("Safer use space")),
    ("disposal", gettext_noop("Safe disposal of used equipment")),
]
