"""The face a photo is about (recognition.ml.prominence), on boxes: no model, no Django."""

from __future__ import annotations

import itertools

import pytest

from recognition.ml.prominence import is_cut, most_prominent, most_prominent_face, prominence
from recognition.ml.types import DetectedFace

# An LFW-like photo: 250x250, the subject's face in the middle.
LFW = (250, 250)
SUBJECT = (80.0, 70.0, 170.0, 180.0)  # 90 x 110, whole, centred


def test_a_whole_central_face_beats_a_larger_neighbour_cut_by_the_frame() -> None:
    neighbour = (0.0, 40.0, 75.0, 215.0)  # 75 x 175: 1.3 times the subject's area, cut at the left
    boxes = [neighbour, SUBJECT]  # the detector lists the largest first
    assert most_prominent(boxes, LFW) == 1
    # Even a neighbour cut by the frame at three times the subject's area does not win.
    big_neighbour = (0.0, 0.0, 120.0, 250.0)
    assert (120 * 250) / (90 * 110) > 3
    assert most_prominent([big_neighbour, SUBJECT], LFW) == 1


def test_a_close_up_that_fills_the_frame_beats_a_small_face_in_the_background() -> None:
    close_up = (0.0, 10.0, 200.0, 250.0)  # cut at the left and bottom, most of the photo
    background = (150.0, 110.0, 175.0, 140.0)  # whole, near the centre, tiny
    assert most_prominent([close_up, background], LFW) == 0


def test_between_whole_faces_size_and_centre_both_count() -> None:
    size = (1000, 600)
    central = (450.0, 250.0, 550.0, 350.0)
    aside = (100.0, 250.0, 200.0, 350.0)  # same size, off the centre
    assert most_prominent([aside, central], size) == 1
    # Clearly larger (2.25 times the area) off the centre: the photo is about that face.
    larger_aside = (100.0, 225.0, 250.0, 375.0)
    assert most_prominent([central, larger_aside], size) == 1
    # Slightly larger off the centre: the central face still wins.
    slightly_larger_aside = (100.0, 245.0, 210.0, 355.0)
    assert most_prominent([central, slightly_larger_aside], size) == 0


def test_the_choice_does_not_depend_on_the_order_of_the_faces() -> None:
    boxes = [(0.0, 40.0, 75.0, 215.0), SUBJECT, (190.0, 90.0, 230.0, 140.0), (100.0, 0.0, 160.0, 50.0)]
    for order in itertools.permutations(range(len(boxes))):
        listed = [boxes[i] for i in order]
        assert listed[most_prominent(listed, LFW)] == SUBJECT


def test_equal_faces_keep_the_detectors_order() -> None:
    left, right = (50.0, 100.0, 100.0, 150.0), (150.0, 100.0, 200.0, 150.0)  # mirror images
    assert prominence(left, LFW) == pytest.approx(prominence(right, LFW))
    assert most_prominent([left, right], LFW) == 0
    assert most_prominent([right, left], LFW) == 0


def test_cut_means_reaching_the_frame() -> None:
    assert is_cut((0.0, 50.0, 100.0, 150.0), LFW)
    assert is_cut((50.0, 50.0, 249.5, 150.0), LFW)  # stored boxes are rounded
    assert is_cut((50.0, 0.4, 100.0, 150.0), LFW)
    assert is_cut((50.0, 50.0, 100.0, 250.0), LFW)
    assert not is_cut((5.0, 5.0, 245.0, 245.0), LFW)
    # The tolerance grows with the photo: 0.3% of a 4000 px side is 12 px.
    assert is_cut((10.0, 500.0, 400.0, 900.0), (4000, 3000))
    assert not is_cut((20.0, 500.0, 400.0, 900.0), (4000, 3000))
    # A cut face counts for less than the same face whole.
    assert prominence((0.0, 50.0, 100.0, 150.0), LFW) < prominence((1.5, 50.0, 101.5, 150.0), LFW) / 2


def test_only_the_part_inside_the_photo_counts() -> None:
    inside = (0.0, 50.0, 60.0, 150.0)
    overflowing = (-40.0, 50.0, 60.0, 150.0)  # an unclipped box: the same visible part, further out
    assert prominence(overflowing, LFW) < prominence(inside, LFW)
    assert prominence((300.0, 10.0, 400.0, 100.0), LFW) == 0.0


def test_detected_faces_and_bad_input() -> None:
    faces = [
        DetectedFace(box=(0.0, 40.0, 75.0, 215.0), score=0.99, landmarks=()),
        DetectedFace(box=SUBJECT, score=0.99, landmarks=()),
    ]
    assert most_prominent_face(faces, LFW) == 1
    with pytest.raises(ValueError, match="no face"):
        most_prominent([], LFW)
    with pytest.raises(ValueError, match="positive"):
        prominence(SUBJECT, (0, 250))
