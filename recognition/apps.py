from django.apps import AppConfig


class RecognitionConfig(AppConfig):
    name = "recognition"
    verbose_name = "Face recognition"

    def ready(self) -> None:
        # Only wires the system check; the face model is never loaded here (see recognition.runtime).
        from recognition import checks  # noqa: F401
