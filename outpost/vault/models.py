from django.db import models


class DataKey(models.Model):
    """One random data key, stored only wrapped under the master key.

    The master key (KEK) lives in a file outside the database, so a copy of
    the database alone holds nothing that opens these. Deleting every row is
    how "destroy" makes all ciphertext unreadable for good.
    """

    class Purpose(models.TextChoices):
        # Two separate keys: an index key that leaks can be used to test
        # guesses against blind indexes, but never to decrypt a field.
        FIELDS = "fields", "fields"
        INDEX = "index", "index"

    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    # version byte + nonce + AES-GCM(KEK, key, AAD = purpose and id)
    wrapped = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(purpose__in=["fields", "index"]),
                name="datakey_purpose_known",
            ),
        ]

    def __str__(self) -> str:
        state = "retired" if self.retired_at else "live"
        return f"{self.purpose} key #{self.pk} ({state})"
