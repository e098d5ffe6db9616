"""T10: field encryption round-trips, never reuses a nonce, never lies.

Hypothesis draws any Unicode text (empty, 10,000 characters, Cyrillic,
right-to-left, emoji); 200 examples per property keep CI fast. The
property tests are plain pytest functions: Django's TestCase would roll
the data key back between examples, and the properties are about the
cipher under one key.
"""

import time
from collections.abc import Callable

import pytest
from django.test import TestCase
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from outpost.vault.crypto import (
    HEADER_BYTES,
    NONCE_BYTES,
    TAG_BYTES,
    VERSION,
    DecryptionFailed,
    decrypt,
    encrypt,
    token_key_id,
)
from outpost.vault.keys import current_data_key

# Every code point but lone surrogates, which are not text and cannot be
# encoded at all.
UNICODE = st.characters(codec="utf-8")
# Hypothesis will not draw 10,000 characters at once; repeat a short draw.
LONG_TEXT = st.text(UNICODE, min_size=1, max_size=20).map(lambda s: (s * 10_000)[:10_000])
TEXT = st.text(UNICODE, max_size=300) | LONG_TEXT
CONTEXT = st.text(UNICODE, min_size=1, max_size=80)
SAMPLES = ["", "x" * 10_000, "Олена Іванівна", "مرحبا بالعالم", "שלום", "🧪💉🏳️‍🌈"]
# The isolated KEY_DIR fixture and the test's transaction are shared by
# all examples on purpose.
PROPERTY = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

TextTest = Callable[[str], None]


def with_samples(test: TextTest) -> TextTest:
    """Always try the awkward texts, whatever Hypothesis draws."""
    for sample in SAMPLES:
        test = example(sample)(test)
    return test


@pytest.mark.django_db
@PROPERTY
@given(TEXT)
@with_samples
def test_decrypt_returns_what_was_encrypted(text: str) -> None:
    token = encrypt(text, context="clients.contactdetails.phone:1")
    assert decrypt(token, context="clients.contactdetails.phone:1") == text


@pytest.mark.django_db
@PROPERTY
@given(TEXT)
@with_samples
def test_two_encryptions_of_one_value_differ(text: str) -> None:
    first, second = encrypt(text, context="c:1"), encrypt(text, context="c:1")
    assert first[HEADER_BYTES:] != second[HEADER_BYTES:]


@pytest.mark.django_db
@PROPERTY
@given(TEXT, st.data())
def test_flipping_any_bit_of_a_token_fails_to_decrypt(text: str, data: st.DataObject) -> None:
    token = bytearray(encrypt(text, context="c:1"))
    position = data.draw(st.integers(0, len(token) - 1), label="byte")
    token[position] ^= 1 << data.draw(st.integers(0, 7), label="bit")
    with pytest.raises(DecryptionFailed):
        decrypt(bytes(token), context="c:1")


@pytest.mark.django_db
@PROPERTY
@given(TEXT, st.data())
def test_a_truncated_or_extended_token_fails_to_decrypt(text: str, data: st.DataObject) -> None:
    token = encrypt(text, context="c:1")
    cut = data.draw(st.integers(0, len(token) - 1), label="cut")
    with pytest.raises(DecryptionFailed):
        decrypt(token[:cut], context="c:1")
    with pytest.raises(DecryptionFailed):
        decrypt(token + b"\x00", context="c:1")


@pytest.mark.django_db
@PROPERTY
@given(TEXT, TEXT, CONTEXT, CONTEXT)
@example("", "", "clients.contactdetails.phone:1", "clients.contactdetails.phone:2")
@example("+79990000001", "+79990000001", "x.phone:1", "x.telegram:1")
def test_ciphertext_swapped_between_contexts_fails(
    text: str, other: str, here: str, there: str
) -> None:
    if here == there:
        there += "'"
    mine, theirs = encrypt(text, context=here), encrypt(other, context=there)
    with pytest.raises(DecryptionFailed):
        decrypt(theirs, context=here)
    with pytest.raises(DecryptionFailed):
        decrypt(mine, context=there)


@pytest.mark.django_db
@PROPERTY
@given(TEXT)
@with_samples
def test_token_carries_version_and_key_id(text: str) -> None:
    token = encrypt(text, context="c:1")
    assert token[0] == VERSION
    assert token_key_id(token) == current_data_key("fields").key_id
    assert len(token) == HEADER_BYTES + NONCE_BYTES + len(text.encode()) + TAG_BYTES


class EncryptionTests(TestCase):
    def test_a_postgresql_memoryview_decrypts_like_bytes(self) -> None:
        token = encrypt("Олена", context="c:1")
        self.assertEqual(decrypt(memoryview(token), context="c:1"), "Олена")

    def test_a_token_given_the_index_keys_id_fails_to_decrypt(self) -> None:
        token = encrypt("secret", context="c:1")
        index_id = current_data_key("index").key_id
        forged = token[:1] + index_id.to_bytes(4, "big") + token[HEADER_BYTES:]
        with self.assertRaises(DecryptionFailed):
            decrypt(forged, context="c:1")

    def test_a_key_id_that_never_existed_fails_to_decrypt(self) -> None:
        token = encrypt("secret", context="c:1")
        forged = token[:1] + (2**32 - 1).to_bytes(4, "big") + token[HEADER_BYTES:]
        with self.assertRaisesMessage(DecryptionFailed, "gone"):
            decrypt(forged, context="c:1")

    def test_encryption_needs_a_context(self) -> None:
        with self.assertRaisesMessage(ValueError, "context"):
            encrypt("secret", context="")

    def test_100_000_encryptions_never_reuse_a_nonce(self) -> None:
        encrypt("warm-up", context="c:0")  # make and cache the key first
        started = time.monotonic()
        nonces = {
            encrypt(str(i), context="c:1")[HEADER_BYTES : HEADER_BYTES + NONCE_BYTES]
            for i in range(100_000)
        }
        elapsed = time.monotonic() - started
        print(f"\nT10: 100,000 encryptions in {elapsed:.2f} s, {len(nonces)} distinct nonces")
        self.assertEqual(len(nonces), 100_000)
