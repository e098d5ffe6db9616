"""Tests for the anonymous client code, one or more per rule of SPEC 1.1-1.3."""

from __future__ import annotations

import datetime
import hashlib
import hmac

from django.core.exceptions import ValidationError
from django.test import SimpleTestCase

from outpost.clients.uic import (
    SEX_CODES,
    UNKNOWN,
    UICParts,
    build_parts,
    build_uic,
    duplicate_reason,
    fold_name,
    network_key,
    parse_uic,
)

# A fixed registration day, so no test depends on the clock.
TODAY = datetime.date(2025, 6, 15)

# SPEC 1.2 step 4, copied row by row from the table rather than imported, so
# a slip in the module's table cannot hide itself.
CYRILLIC_TABLE = (
    ("А", "A"),
    ("Б", "B"),
    ("В", "V"),
    ("Г", "G"),
    ("Ґ", "G"),
    ("Д", "D"),
    ("Е", "E"),
    ("Є", "E"),
    ("Ё", "E"),
    ("Э", "E"),
    ("Ж", "Z"),
    ("З", "Z"),
    ("И", "I"),
    ("І", "I"),
    ("Ї", "I"),
    ("Ы", "I"),
    ("Й", "I"),
    ("К", "K"),
    ("Л", "L"),
    ("М", "M"),
    ("Н", "N"),
    ("О", "O"),
    ("П", "P"),
    ("Р", "R"),
    ("С", "S"),
    ("Т", "T"),
    ("У", "U"),
    ("Ф", "F"),
    ("Х", "H"),
    ("Ц", "C"),
    ("Ч", "C"),
    ("Ш", "S"),
    ("Щ", "S"),
    ("Ю", "U"),
    ("Я", "A"),
)


def parts(code: str) -> UICParts:
    return parse_uic(code, today=TODAY)


class FoldNameTests(SimpleTestCase):
    def assertFolds(self, cases: tuple[tuple[str | None, str], ...]) -> None:
        for name, expected in cases:
            with self.subTest(name=name):
                self.assertEqual(fold_name(name), expected)

    def assertRefusesLetter(self, name: str, letter: str) -> None:
        with self.subTest(name=name):
            with self.assertRaises(ValidationError) as caught:
                fold_name(name)
            self.assertEqual(caught.exception.code, "invalid_letter")
            self.assertIn(f"“{letter}”", caught.exception.messages[0])

    def test_spec_examples_fold_alike(self) -> None:
        """SPEC 1.2 examples: Ukrainian and Russian spellings agree."""
        self.assertFolds(
            (
                ("Олена", "OL"),
                ("олена", "OL"),
                ("OLENA", "OL"),
                ("Ірина", "IR"),
                ("Ирина", "IR"),
                ("Євген", "EV"),
                ("Евгений", "EV"),
                ("Григорій", "GR"),
                ("Григорий", "GR"),
            )
        )

    def test_every_cyrillic_capital_maps_as_the_table(self) -> None:
        """SPEC 1.2 step 4: each Cyrillic letter maps to its table letter."""
        self.assertEqual(len(CYRILLIC_TABLE), 35)
        for cyrillic, latin in CYRILLIC_TABLE:
            with self.subTest(letter=cyrillic):
                self.assertEqual(fold_name(cyrillic + "А"), latin + "A")
                self.assertEqual(fold_name("А" + cyrillic), "A" + latin)

    def test_every_cyrillic_small_letter_maps_as_its_capital(self) -> None:
        """SPEC 1.2 steps 1 and 4: small letters are upper-cased first."""
        for cyrillic, latin in CYRILLIC_TABLE:
            with self.subTest(letter=cyrillic.lower()):
                self.assertEqual(fold_name(cyrillic.lower() * 2), latin * 2)

    def test_letters_with_marks_keep_their_table_row(self) -> None:
        """SPEC 1.2 step 4: Й, Ё, Ї map as whole letters, not as И, Е, І."""
        self.assertFolds(
            (
                ("Йосип", "IO"),
                ("Їжак", "IZ"),
                ("Ёлка", "EL"),
                ("Юлія", "UL"),
                ("Яна", "AN"),
                ("Щука", "SU"),
                ("Цвєтан", "CV"),
            )
        )

    def test_decomposed_input_is_composed_first(self) -> None:
        """SPEC 1.2 step 1: NFC makes И + breve the letter Й, and so on."""
        self.assertFolds(
            (
                ("И\u0306осип", "IO"),
                ("и\u0306", "I9"),
                ("Е\u0308лка", "EL"),
                ("І\u0308жак", "IZ"),
                ("Е\u0301lodie", "EL"),
                ("O\u0308mer", "OM"),
            )
        )

    def test_trims_and_upper_cases(self) -> None:
        """SPEC 1.2 step 1: surrounding space and letter case do not count."""
        self.assertFolds(
            (
                ("  олена  ", "OL"),
                ("\tolena\n", "OL"),
                ("oLeNa", "OL"),
            )
        )

    def test_drops_characters_that_are_not_letters(self) -> None:
        """SPEC 1.2 step 2: spaces, hyphens, apostrophes, digits go."""
        self.assertFolds(
            (
                ("О лена", "OL"),
                ("О-лена", "OL"),
                ("О'лена", "OL"),
                ("О’лена", "OL"),
                ("Оʼлена", "OL"),
                ("'Олена", "OL"),
                ("1О2л3", "OL"),
                ("Анна-Марія", "AN"),
                ("Мар'яна", "MA"),
                ("Д'Арк", "DA"),
                ("O'Neil", "ON"),
                ("Jean-Luc", "JE"),
            )
        )

    def test_drops_cyrillic_stress_marks(self) -> None:
        """SPEC 1.2 step 2: a combining stress mark is not a letter."""
        self.assertFolds((("О\u0301лена", "OL"), ("А\u0301нна", "AN")))

    def test_drops_soft_and_hard_signs(self) -> None:
        """SPEC 1.2 step 2: Ь and Ъ are dropped, capital or small."""
        self.assertFolds(
            (
                ("ЬОЛ", "OL"),
                ("ОЬЛ", "OL"),
                ("ОЪЛ", "OL"),
                ("оьл", "OL"),
                ("оъл", "OL"),
                ("ЪЬОЛ", "OL"),
            )
        )

    def test_takes_the_first_two_letters(self) -> None:
        """SPEC 1.2 step 3: letters after the second do not count."""
        self.assertFolds((("Олександра", "OL"), ("Ol", "OL"), ("Ол", "OL")))

    def test_one_letter_gives_the_letter_and_9(self) -> None:
        """SPEC 1.2 step 3: one remaining letter is followed by 9."""
        self.assertFolds(
            (
                ("О", "O9"),
                ("a", "A9"),
                ("О-1", "O9"),
                ("Оь", "O9"),
                ("Ь О", "O9"),
                ("Й", "I9"),
            )
        )

    def test_no_letter_gives_unknown(self) -> None:
        """SPEC 1.2 step 3: a name with no letter left is unknown, 99."""
        self.assertEqual(UNKNOWN, "99")
        self.assertFolds(
            (
                ("", "99"),
                ("   ", "99"),
                ("-", "99"),
                ("'’ʼ", "99"),
                ("123", "99"),
                ("Ь", "99"),
                ("ЬЪ", "99"),
            )
        )

    def test_none_gives_unknown(self) -> None:
        """SPEC 1.1: an unknown parent's name is 99."""
        self.assertEqual(fold_name(None), "99")

    def test_strips_diacritics_from_latin_letters(self) -> None:
        """SPEC 1.2 step 4: Latin letters lose their diacritics (NFKD)."""
        self.assertFolds(
            (
                ("Élodie", "EL"),
                ("élodie", "EL"),
                ("Öz", "OZ"),
                ("Zoë", "ZO"),
                ("Ñaomi", "NA"),
                ("Şükrü", "SU"),
                ("Ångström", "AN"),
                ("Çağla", "CA"),
                ("İlkay", "IL"),
                ("Ōto", "OT"),
                ("Ｏｌｅｎａ", "OL"),
            )
        )

    def test_mixed_latin_and_cyrillic_fold_alike(self) -> None:
        """SPEC 1.2 step 4: a Latin O typed in a Cyrillic name still folds."""
        self.assertFolds((("Oлена", "OL"), ("Оlena", "OL")))

    def test_refuses_other_scripts_naming_the_letter(self) -> None:
        """SPEC 1.2 step 4: a letter of another script is refused by name."""
        cases = (
            ("Ωmega", "Ω"),
            ("ωmega", "ω"),
            ("Ελένη", "Ε"),
            ("ნინო", "ნ"),
            ("ليلى", "ل"),
            ("Անի", "Ա"),
            ("李娜", "李"),
            ("Oω", "ω"),
        )
        for name, letter in cases:
            self.assertRefusesLetter(name, letter)

    def test_refuses_cyrillic_letters_outside_the_table(self) -> None:
        """SPEC 1.2 step 4: only the table's Cyrillic letters are mapped."""
        for name, letter in (("Ўля", "Ў"), ("Әсел", "Ә"), ("Ђорђе", "Ђ")):
            self.assertRefusesLetter(name, letter)

    def test_refuses_latin_letters_without_a_decomposition(self) -> None:
        """SPEC 1.2 step 4: NFKD cannot reduce Ł or Ø to A-Z, so refuse."""
        for name, letter in (("Łucja", "Ł"), ("Øystein", "Ø")):
            self.assertRefusesLetter(name, letter)

    def test_strips_diacritics_only_from_latin_letters(self) -> None:
        """SPEC 1.2 step 4: NFKD stripping is for Latin letters alone."""
        for name, letter in (("ℌanna", "ℌ"), ("Άννα", "Ά"), ("𝐀nna", "𝐀")):
            self.assertRefusesLetter(name, letter)

    def test_checks_only_the_two_letters_taken(self) -> None:
        """SPEC 1.2 steps 3-4: only the first two letters are mapped."""
        self.assertFolds((("Айгүл", "AI"), ("Olω", "OL")))


class BuildTests(SimpleTestCase):
    def test_spec_example_shape(self) -> None:
        """SPEC 1.1: mother, father, sex, DDMMYYYY give 13 characters."""
        code = build_uic("Олена", "Василь", "1", datetime.date(1985, 3, 5), today=TODAY)
        self.assertEqual(code, "OLVA105031985")
        self.assertEqual(len(code), 13)

    def test_build_uic_always_gives_13_characters(self) -> None:
        """SPEC 1.1: every code has 13 characters, whatever the names."""
        cases = (
            ("Олена", "Василь", "OLVA"),
            (None, "Василь", "99VA"),
            ("Олена", None, "OL99"),
            (None, None, "9999"),
            ("О", "В", "O9V9"),
        )
        for mother, father, letters in cases:
            with self.subTest(mother=mother, father=father):
                code = build_uic(mother, father, "2", datetime.date(2001, 12, 9), today=TODAY)
                self.assertEqual(code, letters + "209122001")
                self.assertEqual(len(code), 13)

    def test_parts_keep_each_component(self) -> None:
        """SPEC 1.3: the parts are kept beside the code."""
        built = build_parts("Ірина", "Євген", "2", datetime.date(1990, 1, 2), today=TODAY)
        self.assertEqual(
            built,
            UICParts(
                mother="IR",
                father="EV",
                sex="2",
                birth_date=datetime.date(1990, 1, 2),
            ),
        )
        self.assertEqual(built.letters, "IREV")
        self.assertEqual(built.code, "IREV202011990")

    def test_accepts_each_sex_code(self) -> None:
        """SPEC 1.1: sex is 1 male, 2 female, 3 other or not stated."""
        self.assertEqual(SEX_CODES, ("1", "2", "3"))
        for sex in SEX_CODES:
            with self.subTest(sex=sex):
                code = build_uic("Олена", "Василь", sex, datetime.date(1985, 3, 5), today=TODAY)
                self.assertEqual(code[4], sex)

    def test_refuses_other_sex_values(self) -> None:
        """SPEC 1.1: any sex value but 1, 2 or 3 is refused."""
        for sex in ("0", "4", "9", "", "M", "F", "12", " 1", "١"):
            with self.subTest(sex=sex):
                with self.assertRaises(ValidationError) as caught:
                    build_uic("Олена", "Василь", sex, datetime.date(1985, 3, 5), today=TODAY)
                self.assertEqual(caught.exception.code, "invalid_sex")

    def test_refuses_a_datetime(self) -> None:
        """SPEC 1.1: the date of birth is a calendar date, not a moment."""
        with self.assertRaises(ValidationError) as caught:
            build_uic(
                "Олена",
                "Василь",
                "1",
                datetime.datetime(1985, 3, 5, 12, 0, tzinfo=datetime.UTC),
                today=TODAY,
            )
        self.assertEqual(caught.exception.code, "invalid_birth_date")

    def test_age_limits_are_inclusive(self) -> None:
        """SPEC 1.1: the client is 10 to 100 whole years old on the day."""
        cases = (
            (datetime.date(2015, 6, 16), False),  # 9, turns 10 tomorrow
            (datetime.date(2015, 6, 15), True),  # 10 today
            (datetime.date(1925, 6, 15), True),  # 100 today
            (datetime.date(1924, 6, 16), True),  # 100, turns 101 tomorrow
            (datetime.date(1924, 6, 15), False),  # 101 today
        )
        for birth_date, accepted in cases:
            with self.subTest(birth_date=birth_date):
                if accepted:
                    code = build_uic("Олена", "Василь", "1", birth_date, today=TODAY)
                    self.assertEqual(len(code), 13)
                else:
                    with self.assertRaises(ValidationError) as caught:
                        build_uic("Олена", "Василь", "1", birth_date, today=TODAY)
                    self.assertEqual(caught.exception.code, "age_out_of_range")
                    self.assertIn("between 10 and 100 years old", caught.exception.messages[0])

    def test_leap_day_birthday_counts_from_1_march(self) -> None:
        """SPEC 1.1: in a common year, a 29 February birthday is not 28th."""
        born = datetime.date(2012, 2, 29)
        with self.assertRaises(ValidationError):
            build_uic(None, None, "3", born, today=datetime.date(2022, 2, 28))
        self.assertEqual(
            build_uic(None, None, "3", born, today=datetime.date(2022, 3, 1)),
            "9999329022012",
        )

    def test_refuses_a_date_of_birth_in_the_future(self) -> None:
        """SPEC 1.1: a future date of birth is not a real client's."""
        with self.assertRaises(ValidationError) as caught:
            build_uic("Олена", "Василь", "1", datetime.date(2025, 6, 16), today=TODAY)
        self.assertEqual(caught.exception.code, "birth_date_in_future")

    def test_refuses_a_name_in_another_script(self) -> None:
        """SPEC 1.2 step 4: building a code refuses what fold_name refuses."""
        with self.assertRaises(ValidationError) as caught:
            build_uic("Ελένη", "Василь", "2", datetime.date(1985, 3, 5), today=TODAY)
        self.assertIn("“Ε”", caught.exception.messages[0])


class ParseTests(SimpleTestCase):
    def assertRefuses(self, code: str, error_code: str, fragment: str) -> None:
        with self.subTest(code=code):
            with self.assertRaises(ValidationError) as caught:
                parse_uic(code, today=TODAY)
            self.assertEqual(caught.exception.code, error_code)
            self.assertIn(fragment, caught.exception.messages[0])

    def test_reads_the_spec_example(self) -> None:
        """SPEC 1.1: OLVA105031985 reads back into its parts."""
        self.assertEqual(
            parts("OLVA105031985"),
            UICParts(
                mother="OL",
                father="VA",
                sex="1",
                birth_date=datetime.date(1985, 3, 5),
            ),
        )

    def test_round_trips_built_codes(self) -> None:
        """SPEC 1.1: parsing a built code gives the parts it was built from."""
        cases = (
            ("Олена", "Василь", "1", datetime.date(1985, 3, 5)),
            (None, "Василь", "2", datetime.date(2000, 2, 29)),
            ("О", None, "3", datetime.date(1925, 6, 15)),
        )
        for mother, father, sex, birth_date in cases:
            with self.subTest(mother=mother, father=father):
                built = build_parts(mother, father, sex, birth_date, today=TODAY)
                self.assertEqual(parts(built.code), built)

    def test_ignores_spaces_case_and_keyboard_layout(self) -> None:
        """SPEC 1.1-1.2: typed spaces, small letters and Cyrillic are read."""
        for typed in (
            "olva105031985",
            "OLVA 1 05031985",
            " OL VA 1 0503 1985 ",
            "OLVA\t105031985",
            "ОЛВА105031985",
            "олва105031985",
            "ОLВA105031985",
        ):
            with self.subTest(typed=typed):
                self.assertEqual(parts(typed).code, "OLVA105031985")

    def test_folds_cyrillic_letters_by_the_table(self) -> None:
        """SPEC 1.2 step 4: a Cyrillic letter typed in a code folds."""
        self.assertEqual(parts("ЄЙЩЮ205031985").letters, "EISU")
        self.assertEqual(parts("Ї9ЯГ205031985").letters, "I9AG")

    def test_accepts_unknown_and_one_letter_parts(self) -> None:
        """SPEC 1.1-1.2: 99 is unknown, a letter and 9 is a one-letter name."""
        for code, mother, father in (
            ("9999105031985", "99", "99"),
            ("O9V9105031985", "O9", "V9"),
            ("99VA105031985", "99", "VA"),
            ("OL99105031985", "OL", "99"),
        ):
            with self.subTest(code=code):
                read = parts(code)
                self.assertEqual((read.mother, read.father), (mother, father))

    def test_refuses_a_wrong_length(self) -> None:
        """SPEC 1.1: a code has exactly 13 characters."""
        for code, typed in (
            ("OLVA10503198", "12 characters were typed"),
            ("OLVA1050319850", "14 characters were typed"),
            ("", "0 characters were typed"),
            ("O", "1 character was typed"),
        ):
            self.assertRefuses(code, "invalid_length", "A code has 13 characters")
            self.assertRefuses(code, "invalid_length", typed)

    def test_refuses_bad_letter_positions(self) -> None:
        """SPEC 1.1-1.2: letter positions hold A-Z or 9, and 9X is no name."""
        self.assertRefuses("O1VA105031985", "invalid_letters", "Character 2")
        self.assertRefuses("OL-A105031985", "invalid_letters", "Character 3")
        self.assertRefuses("ЬLVA105031985", "invalid_letters", "Character 1")
        self.assertRefuses("9LVA105031985", "invalid_letters", "“9L”")
        self.assertRefuses("OL9A105031985", "invalid_letters", "“9A”")
        self.assertRefuses("ΩLVA105031985", "invalid_letter", "“Ω”")

    def test_refuses_a_bad_sex_digit(self) -> None:
        """SPEC 1.1: the fifth character is 1, 2 or 3."""
        for code in ("OLVA005031985", "OLVA405031985", "OLVAM05031985"):
            self.assertRefuses(code, "invalid_sex", "must be 1 (male)")

    def test_refuses_letters_in_the_date(self) -> None:
        """SPEC 1.1: the date of birth is 8 digits, DDMMYYYY."""
        for code in (
            "OLVA1O5031985",
            "OLVA10503198S",
            "OLVA105031９85",
            "OLVA10503198٥",
        ):
            self.assertRefuses(code, "invalid_date", "as digits, DDMMYYYY")

    def test_refuses_impossible_dates(self) -> None:
        """SPEC 1.1: the date of birth is a real calendar date."""
        for code, digits in (
            ("OLVA131022000", "31022000"),
            ("OLVA129022001", "29022001"),
            ("OLVA131041985", "31041985"),
            ("OLVA100031985", "00031985"),
            ("OLVA105131985", "05131985"),
            ("OLVA105000000", "05000000"),
        ):
            self.assertRefuses(code, "invalid_date", f"“{digits}” is not a real date")

    def test_accepts_29_february_of_a_leap_year(self) -> None:
        """SPEC 1.1: 29 February is real in a leap year."""
        self.assertEqual(parts("OLVA129022000").birth_date, datetime.date(2000, 2, 29))

    def test_applies_the_age_rule(self) -> None:
        """SPEC 1.1: a parsed code also needs an age from 10 to 100."""
        self.assertRefuses("OLVA116062015", "age_out_of_range", "between 10 and 100")
        self.assertRefuses("OLVA115061924", "age_out_of_range", "between 10 and 100")
        self.assertEqual(parts("OLVA115062015").birth_date, datetime.date(2015, 6, 15))
        self.assertEqual(parts("OLVA116061924").birth_date, datetime.date(1924, 6, 16))


class DuplicateReasonTests(SimpleTestCase):
    def assertReasons(self, cases: tuple[tuple[str, str, str | None], ...]) -> None:
        for new, old, expected in cases:
            with self.subTest(new=new, old=old):
                self.assertEqual(duplicate_reason(parts(new), parts(old)), expected)

    def test_identical_codes_are_the_same_client(self) -> None:
        """SPEC 1.3: the same code is the same client, not a duplicate."""
        self.assertReasons(
            (
                ("OLVA105031985", "OLVA105031985", None),
                ("OL99105031985", "OL99105031985", None),
                ("9999105031985", "9999105031985", None),
            )
        )

    def test_one_letter_apart(self) -> None:
        """SPEC 1.3: same sex and birth date, one letter position differs."""
        self.assertReasons(
            (
                ("OLVA105031985", "ILVA105031985", "letter"),
                ("OLVA105031985", "OAVA105031985", "letter"),
                ("OLVA105031985", "OLSA105031985", "letter"),
                ("OLVA105031985", "OLVE105031985", "letter"),
                ("O9VA105031985", "OLVA105031985", "letter"),
                ("99VA105031985", "99VE105031985", "letter"),
            )
        )

    def test_not_one_letter_apart(self) -> None:
        """SPEC 1.3: two letters apart, or another sex or date, is no match."""
        self.assertReasons(
            (
                ("OLVA105031985", "ILVE105031985", None),
                ("OLVA105031985", "LOVA105031985", None),
                ("OLVA105031985", "OLVE205031985", None),
                ("OLVA105031985", "OLVE105031986", None),
                ("OLVA105031985", "OLVE103051985", None),
            )
        )

    def test_one_date_digit_apart(self) -> None:
        """SPEC 1.3: same letters and sex, the date differs in one digit."""
        self.assertReasons(
            (
                ("OLVA105031985", "OLVA106031985", "date_digit"),
                ("OLVA105031985", "OLVA115031985", "date_digit"),
                ("OLVA105031985", "OLVA105011985", "date_digit"),
                ("OLVA105031985", "OLVA105031986", "date_digit"),
                ("OLVA105031985", "OLVA105031995", "date_digit"),
                ("OLVA105031985", "OLVA105031975", "date_digit"),
            )
        )

    def test_not_one_date_digit_apart(self) -> None:
        """SPEC 1.3: two digits apart, or another sex or letter, is no match."""
        self.assertReasons(
            (
                ("OLVA105031985", "OLVA106031986", None),
                ("OLVA105031985", "OLVA105031958", None),
                ("OLVA105031985", "OLVA205031986", None),
                ("OLVA105031985", "OLVE105031986", None),
            )
        )

    def test_day_and_month_swapped(self) -> None:
        """SPEC 1.3: same letters and sex, day and month swapped."""
        self.assertReasons(
            (
                ("OLVA105031985", "OLVA103051985", "day_month_swapped"),
                ("OLVA103051985", "OLVA105031985", "day_month_swapped"),
                ("OLVA101121985", "OLVA112011985", "day_month_swapped"),
                ("OLVA111121985", "OLVA112111985", "day_month_swapped"),
            )
        )

    def test_not_day_and_month_swapped(self) -> None:
        """SPEC 1.3: a swap with another year, sex or letter is no match."""
        self.assertReasons(
            (
                ("OLVA105031985", "OLVA103051986", None),
                ("OLVA105031985", "OLVA203051985", None),
                ("OLVA105031985", "OLVE103051985", None),
                ("OLVA105031985", "OLVA107051985", None),
                ("OLVA105031985", "OLVA103071985", None),
            )
        )

    def test_one_parent_unknown_on_one_side(self) -> None:
        """SPEC 1.3: codes agree except one parent is 99 in one of them."""
        self.assertReasons(
            (
                ("OL99105031985", "OLVA105031985", "unknown_parent"),
                ("OLVA105031985", "OL99105031985", "unknown_parent"),
                ("99VA105031985", "OLVA105031985", "unknown_parent"),
                ("OLVA105031985", "99VA105031985", "unknown_parent"),
                ("9999105031985", "OL99105031985", "unknown_parent"),
                ("OL99105031985", "OLV9105031985", "unknown_parent"),
            )
        )

    def test_not_one_parent_unknown_on_one_side(self) -> None:
        """SPEC 1.3: unknown parents on both sides, or another part, no match."""
        self.assertReasons(
            (
                ("OL99105031985", "99VA105031985", None),
                ("9999105031985", "OLVA105031985", None),
                ("OL99105031985", "ILVA105031985", None),
                ("OL99105031985", "OLVA105031986", None),
                ("OL99105031985", "OLVA205031985", None),
            )
        )

    def test_sex_alone_differs(self) -> None:
        """SPEC 1.3: no rule matches codes of different sex."""
        self.assertReasons((("OLVA105031985", "OLVA205031985", None),))


class NetworkKeyTests(SimpleTestCase):
    def test_is_hmac_sha256_hex(self) -> None:
        """SPEC 1.3: the network key is HMAC-SHA256(secret, UIC), in hex."""
        # RFC 4231, test case 2.
        self.assertEqual(
            network_key("what do ya want for nothing?", b"Jefe"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
        )
        expected = hmac.new(b"secret", b"OLVA105031985", hashlib.sha256).hexdigest()
        self.assertEqual(network_key("OLVA105031985", b"secret"), expected)

    def test_is_deterministic(self) -> None:
        """SPEC 1.3: one code and secret always give one key."""
        self.assertEqual(
            network_key("OLVA105031985", b"network-a"),
            network_key("OLVA105031985", b"network-a"),
        )

    def test_differs_by_secret_and_by_code(self) -> None:
        """SPEC 1.3: another network or another client gets another key."""
        key = network_key("OLVA105031985", b"network-a")
        self.assertNotEqual(key, network_key("OLVA105031985", b"network-b"))
        self.assertNotEqual(key, network_key("OLVA205031985", b"network-a"))
        self.assertNotIn("OLVA105031985", key)

    def test_refuses_an_empty_secret(self) -> None:
        """SPEC 1.3: without a secret the raw code could be recovered."""
        with self.assertRaises(ValueError):
            network_key("OLVA105031985", b"")
