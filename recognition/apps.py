from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecognitionConfig(AppConfig):
    name = "recognition"
    verbose_name = _("Face recognition")

    def ready(self) -> None:
        # Only wires the system check; the face model is never loaded here (see recognition.runtime).
        from recognition import checks  # noqa: F401
