"""The search bar on real photos: held-apart query per identity, precision and recall >= 0.95."""

from __future__ import annotations

import pytest

from recognition.evaluation import run_holdout, split_holdout

pytestmark = pytest.mark.django_db


def test_holdout_search_precision_recall_and_isolation(
    user, other_user, faces_dir, runtime_pipeline, django_capture_on_commit_callbacks
):
    library, queries = split_holdout(faces_dir)
    assert len(queries) >= 20
    with django_capture_on_commit_callbacks(execute=True):
        report = run_holdout(owner=user, root=faces_dir, runtime_pipeline=runtime_pipeline)
    lines = [
        f"{q.identity}: P={q.precision:.2f} R={q.recall:.2f} first wrong={q.first_wrong_rank}" for q in report.queries
    ]
    print("\n".join(lines))
    print(f"mean precision {report.mean_precision:.3f}, mean recall {report.mean_recall:.3f}")
    assert report.library_photos == len(library)
    assert report.mean_recall >= 0.95, lines
    assert report.mean_precision >= 0.95, lines

    with django_capture_on_commit_callbacks(execute=True):
        other_report = run_holdout(owner=other_user, root=faces_dir, runtime_pipeline=runtime_pipeline)
    # Each user's searches return their own uploads only, with the same quality.
    assert other_report.mean_recall == pytest.approx(report.mean_recall)
    from recognition.search import search_by_image
    from recognition.ml.images import load_rgb

    for _, path in queries[:5]:
        image = load_rgb(path.read_bytes())
        for owner in (user, other_user):
            hits = search_by_image(user=owner, image=image, runtime_pipeline=runtime_pipeline).hits
            assert hits
            assert {h.photo.owner_id for h in hits} == {owner.pk}
