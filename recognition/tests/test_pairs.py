"""LFW's pairs protocol (recognition.ml.pairs) on known answers, and evaluate_faces --pairs."""

from __future__ import annotations

import io
import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from recognition.ml.pairs import (
    PairsFileError,
    choose_pairs,
    format_pairs,
    parse_pairs,
    verification_protocol,
)

pytestmark = pytest.mark.nodb

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from make_lfw_pairs import main as make_lfw_pairs  # noqa: E402


def test_parse_reads_lfw_format() -> None:
    text = "2\t1\nAl_Gore\t1\t2\nAl_Gore\t1\tBo_Li\t3\nBo_Li 2 3\nAl_Gore 2 Bo_Li 1\n"
    protocol = parse_pairs(text)
    assert (protocol.folds, protocol.pairs_per_fold) == (2, 1)
    assert [(p.fold, p.left, p.right, p.same) for p in protocol.pairs] == [
        (0, "Al_Gore/Al_Gore_0001.jpg", "Al_Gore/Al_Gore_0002.jpg", True),
        (0, "Al_Gore/Al_Gore_0001.jpg", "Bo_Li/Bo_Li_0003.jpg", False),
        (1, "Bo_Li/Bo_Li_0002.jpg", "Bo_Li/Bo_Li_0003.jpg", True),
        (1, "Al_Gore/Al_Gore_0002.jpg", "Bo_Li/Bo_Li_0001.jpg", False),
    ]
    assert protocol.images == [
        "Al_Gore/Al_Gore_0001.jpg",
        "Al_Gore/Al_Gore_0002.jpg",
        "Bo_Li/Bo_Li_0003.jpg",
        "Bo_Li/Bo_Li_0002.jpg",
        "Bo_Li/Bo_Li_0001.jpg",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("ten 300\n", "Line 1: the first line"),
        ("1 1\na 1 2\na 1 b 1\n", "at least 2 folds"),
        ("2 1\na 1 2\na 1 b 1\n", "4 lines"),
        ("2 1\na 1 2\na 1 b 1\na 1 b 2\nb 1 a 1\n", "Line 4: fold 2 expects name n1 n2"),
        ("2 1\na 1 2\na 1 2\nb 1 2\na 1 b x\n", "Line 3: fold 1 expects name1 n1 name2 n2"),
    ],
)
def test_parse_rejects_other_formats_naming_the_line(text: str, message: str) -> None:
    with pytest.raises(PairsFileError, match=message):
        parse_pairs(text)


def test_each_folds_threshold_comes_from_the_other_folds() -> None:
    # Fold 0 separates at 0.5, fold 1 at 0.8: fold 1's pairs, at fold 0's threshold (between
    # 0.4 and 0.6), lose its mismatched 0.7; fold 0's pairs, at fold 1's (between 0.7 and 0.9),
    # lose its matched 0.6.
    scores = [0.9, 0.6, 0.4, 0.1, 0.95, 0.9, 0.7, 0.2]
    same = [True, True, False, False, True, True, False, False]
    folds = [0, 0, 0, 0, 1, 1, 1, 1]
    report = verification_protocol(scores, same, folds)
    assert [f.threshold for f in report.folds] == pytest.approx([0.8, 0.5])
    assert [f.accuracy for f in report.folds] == [0.75, 0.75]
    assert report.accuracy_mean == 0.75
    assert report.accuracy_std == 0.0
    # Every matched pair scores above every mismatched one but fold 1's 0.7 > fold 0's 0.6.
    assert report.auc == pytest.approx(15 / 16)
    assert report.failed_pairs == 0


def test_accuracy_mean_std_and_standard_error_over_folds() -> None:
    rng = np.random.default_rng(3)
    scores, same, folds = [], [], []
    wrong = [0, 1, 2, 3]  # mismatched pairs scoring like matched ones, per fold
    for k, errors in enumerate(wrong):
        same += [True] * 10 + [False] * 10
        scores += list(rng.uniform(0.7, 0.9, 10)) + list(rng.uniform(0.7, 0.9, errors))
        scores += list(rng.uniform(0.1, 0.3, 10 - errors))
        folds += [k] * 20
    report = verification_protocol(scores, same, folds)
    expected = np.array([1 - e / 20 for e in wrong])
    # The thresholds sit in the gap 0.3..0.7 (every other fold separates there best)...
    assert all(0.3 < f.threshold < 0.7 for f in report.folds)
    assert [f.accuracy for f in report.folds] == pytest.approx(expected.tolist())
    assert report.accuracy_mean == pytest.approx(expected.mean())
    assert report.accuracy_std == pytest.approx(expected.std(ddof=1))
    assert report.accuracy_standard_error == pytest.approx(expected.std(ddof=1) / 2)


def test_pairs_without_a_face_are_errors_at_every_threshold() -> None:
    scores = [0.9, math.nan, 0.1, 0.2, 0.8, 0.9, math.nan, 0.3]
    same = [True, True, False, False, True, True, False, False]
    report = verification_protocol(scores, same, [0, 0, 0, 0, 1, 1, 1, 1])
    assert [f.accuracy for f in report.folds] == [0.75, 0.75]
    assert report.failed_pairs == 2
    # Ranked where they are wrong: the matched one lowest, the mismatched one highest.
    assert report.auc == pytest.approx(1 - (3 + 3 + 1) / 16)


def test_chosen_pairs_keep_each_person_in_one_fold_and_read_back() -> None:
    counts = {f"p{i:02d}": 1 + i % 4 for i in range(20)}
    chosen = choose_pairs(counts, folds=3, pairs=4, seed=7)
    assert chosen == choose_pairs(counts, folds=3, pairs=4, seed=7)  # deterministic
    people = [{n for pair in fold for n in (pair[0], pair[2])} for fold in chosen]
    assert all(not (a & b) for i, a in enumerate(people) for b in people[i + 1 :])
    protocol = parse_pairs(format_pairs(chosen, 4))
    assert (protocol.folds, protocol.pairs_per_fold, len(protocol.pairs)) == (3, 4, 24)
    for fold in range(3):
        pairs = [p for p in protocol.pairs if p.fold == fold]
        assert [p.same for p in pairs] == [True] * 4 + [False] * 4
        assert len({(p.left, p.right) for p in pairs}) == 8  # no pair twice
        for p in pairs:
            name = p.left.split("/")[0]
            assert (p.right.split("/")[0] == name) == p.same
            number = int(p.left.rsplit("_", 1)[1][:4])
            assert 1 <= number <= counts[name]
    with pytest.raises(ValueError, match="fewer folds or pairs"):
        choose_pairs(counts, folds=3, pairs=40)


def test_evaluate_faces_runs_lfws_protocol_on_a_folder_made_from_the_face_photos(
    tmp_path: Path, faces_dir: Path, image_bytes
) -> None:
    source = tmp_path / "source"
    for person in ("angelina_jolie", "fr_obama", "fr_biden", "of_lennon"):
        (source / person).mkdir(parents=True)
        for photo in sorted((faces_dir / person).iterdir())[:2]:
            (source / person / photo.name).symlink_to(photo)
    out = tmp_path / "lfw"
    assert make_lfw_pairs([str(source), str(out), "--folds", "2", "--pairs", "1", "--seed", "1"]) == 0
    (out / "nobody").mkdir()
    for n, color in ((1, (90, 140, 200)), (2, (20, 40, 60))):
        (out / "nobody" / f"nobody_000{n}.jpg").write_bytes(
            image_bytes(size=(200, 160), fmt="PNG", color=color)
        )
    assert (out / "fr_obama" / "fr_obama_0002.jpg").resolve() == sorted((faces_dir / "fr_obama").iterdir())[1]
    # One more fold by hand, naming the faceless photos: errors, listed.
    pairs = (out / "pairs.txt").read_text().splitlines()
    text = "\n".join(["3 1", *pairs[1:], "nobody 1 2", "nobody 1 fr_obama 1"]) + "\n"
    (out / "pairs.txt").write_text(text)
    json_path = tmp_path / "r.json"
    stdout = io.StringIO()
    call_command(
        "evaluate_faces",
        str(out),
        "--pairs",
        str(out / "pairs.txt"),
        "--model",
        "dlib-resnet",
        "--json",
        str(json_path),
        stdout=stdout,
    )
    data = json.loads(json_path.read_text())
    assert (data["folds"], data["pairs_per_fold"], data["pairs"]) == (3, 1, 6)
    assert sorted(data["images_without_face"]) == ["nobody/nobody_0001.jpg", "nobody/nobody_0002.jpg"]
    for variant in ("plain", "flip"):
        report = data[variant]
        # The third fold's pairs name a photo without a face: both are errors, ranked where they
        # are wrong; the model ranks the 2 + 2 real pairs right (4 of the 3 x 3 comparisons).
        assert report["failed_pairs"] == 2
        assert report["folds"][2]["accuracy"] == 0.0
        assert report["auc"] == pytest.approx(4 / 9)
        accuracies = [fold["accuracy"] for fold in report["folds"]]
        assert report["accuracy_mean"] == pytest.approx(sum(accuracies) / 3)
    assert data["faces"] == data["images"] - 2
    assert data["timing"]["detect_align_s_per_image"] > 0
    text_out = stdout.getvalue()
    assert "flip-averaged accuracy" in text_out
    assert "no face: nobody/nobody_0001.jpg" in text_out


def test_evaluate_faces_pairs_rejects_bad_input(tmp_path: Path) -> None:
    (tmp_path / "pairs.txt").write_text("2 1\na 1 2\n")
    with pytest.raises(CommandError, match="4 lines"):
        call_command("evaluate_faces", str(tmp_path), "--pairs", str(tmp_path / "pairs.txt"))
    with pytest.raises(CommandError, match="Could not read the pairs file"):
        call_command("evaluate_faces", str(tmp_path), "--pairs", str(tmp_path / "missing.txt"))
    (tmp_path / "pairs.txt").write_text("2 1\na 1 2\na 1 b 1\na 1 2\na 1 b 1\n")
    with pytest.raises(CommandError, match=r"3 image\(s\) named by the pairs are not under"):
        call_command(
            "evaluate_faces", str(tmp_path), "--pairs", str(tmp_path / "pairs.txt"), "--model", "dlib-resnet"
        )
