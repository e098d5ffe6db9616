"""The catalogue Outpost ships with.

Names are marked with ``gettext_noop`` so they enter the translation
catalogues; ``TranslatedNameMixin`` shows them in the reader's language.
"""

from django.utils.translation import gettext_noop as N_

# Category names, for the translation catalogues; the rows themselves are
# loaded by migration 0002 because indicators depend on their codes.
CATEGORY_NAMES = [
    N_("Syringe"),
    N_("Needle"),
    N_("Alcohol wipe"),
    N_("Water for injection"),
    N_("Condom"),
    N_("Lubricant"),
    N_("Naloxone"),
    N_("HIV self-test"),
    N_("Rapid test: HIV"),
    N_("Rapid test: HBV"),
    N_("Rapid test: HCV"),
    N_("Rapid test: syphilis"),
    N_("Information material"),
]

# (category code, name, low stock level)
ITEMS = [
    ("syringe", N_("Syringe 1 ml"), 200),
    ("syringe", N_("Syringe 2 ml"), 100),
    ("syringe", N_("Syringe 5 ml"), 100),
    ("needle", N_("Needle 27G"), 100),
    ("alcohol_wipe", N_("Alcohol wipe"), 200),
    ("water", N_("Water for injection 2 ml"), 100),
    ("condom", N_("Condom"), 100),
    ("lubricant", N_("Lubricant sachet"), 50),
    ("naloxone", N_("Naloxone 0.4 mg/ml ampoule"), 20),
    ("hiv_self_test", N_("HIV saliva self-test"), 10),
    ("rapid_test_hiv", N_("HIV rapid test"), 10),
    ("rapid_test_hbv", N_("HBV rapid test"), 10),
    ("rapid_test_hcv", N_("HCV rapid test"), 10),
    ("rapid_test_syphilis", N_("Syphilis rapid test"), 10),
    ("information", N_("Overdose first-aid leaflet"), 20),
]

# name → [(item name, quantity)]
KITS = {
    N_("Injecting kit"): [
        (N_("Syringe 2 ml"), 5),
        (N_("Needle 27G"), 5),
        (N_("Alcohol wipe"), 10),
        (N_("Water for injection 2 ml"), 5),
    ],
    N_("Safer sex kit"): [(N_("Condom"), 5), (N_("Lubricant sachet"), 2)],
    N_("Naloxone kit"): [
        (N_("Naloxone 0.4 mg/ml ampoule"), 2),
        (N_("Syringe 2 ml"), 2),
        (N_("Overdose first-aid leaflet"), 1),
    ],
}

# (code, name)
SERVICE_TYPES = [
    ("counselling", N_("Counselling")),
    ("information", N_("Information session")),
    ("testing", N_("Testing")),
    ("referral", N_("Referral")),
    ("safer_use_space", N_("Safer use space")),
    ("disposal", N_("Safe disposal of used equipment")),
]
