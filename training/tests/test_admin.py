import pytest

from training.models import TrainingRun

pytestmark = pytest.mark.django_db


def test_training_runs_are_listed_read_only_in_the_admin(client, django_user_model):
    admin = django_user_model.objects.create_superuser(
        username="root", email="r@example.com", password="x-42-y"
    )
    client.force_login(admin)
    run = TrainingRun.objects.create(
        dataset="/data/faces",
        backbone="dlib-resnet",
        config={"epochs": 3},
        checkpoint="/models/faces.pt",
        status=TrainingRun.Status.SUCCEEDED,
        metrics=[{"epoch": 0, "auc": 0.99}, {"epoch": 1, "auc": 0.995}],
        best_epoch=1,
    )
    listing = client.get("/admin/training/trainingrun/")
    assert listing.status_code == 200
    assert "/data/faces" in listing.content.decode()
    detail = client.get(f"/admin/training/trainingrun/{run.pk}/change/")
    assert detail.status_code == 200
    assert "/models/faces.pt" in detail.content.decode()
    assert client.get("/admin/training/trainingrun/add/").status_code == 403
    assert run.best_metrics == {"epoch": 1, "auc": 0.995}
