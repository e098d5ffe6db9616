from outpost.imports.models import ImportBatch
from outpost.orgs.models import Organisation, User


def route_samples(org: Organisation, user: User) -> dict[str, int]:
    """A dry run that found an error, for the routes that name an import."""
    batch = ImportBatch.objects.create(
        org=org,
        uploaded_by=user,
        file_name="contacts.csv",
        sha256="0" * 64,
        dry_run=True,
        status=ImportBatch.Status.FAILED,
        rows_total=1,
        errors=[{"line": 2, "message": "The date is missing."}],
        error_count=1,
    )
    return {"batch_id": batch.pk}
