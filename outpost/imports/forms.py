from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from outpost.core.errors import DomainError
from outpost.imports.reading import file_kind


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV or XLSX file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )
    dry_run = forms.BooleanField(
        label=_("Dry run: check every row and save nothing"), required=False, initial=True
    )

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        head = upload.read(8)
        upload.seek(0)
        try:
            file_kind(upload.name or "", upload.size or 0, head)
        except DomainError as error:
            raise forms.ValidationError(error.message) from None
        return upload
