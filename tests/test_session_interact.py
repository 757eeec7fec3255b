import numpy as np
import pytest

from trackprop.errors import TrackpropError
from trackprop.session import Session


def clip(frames=4, size=(96, 128)):
    rng = np.random.default_rng(0)
    video = rng.integers(0, 60, (frames, *size, 3)).astype(np.uint8)
    video[:, 30:70, 20:60] = (200, 40, 40)  # object 1: a red square
    video[:, 20:50, 80:120] = (40, 40, 200)  # object 2: a blue square
    return video


def scribbles(frame, items, frames=4):
    lists = [[] for _ in range(frames)]
    lists[frame] = items
    return {"sequence": "test", "scribbles": lists}


def stroke(object_id, x0, y0, x1, y1, size=(96, 128)):
    h, w = size
    return {
        "path": [[x0 / (w - 1), y0 / (h - 1)], [x1 / (w - 1), y1 / (h - 1)]],
        "object_id": object_id,
    }


class ChannelSpy:
    """Wraps a network and records the channel count of every batch it runs."""

    def __init__(self, network, seen):
        self.network, self.seen, self.size = network, seen, network.size

    def run(self, inputs):
        self.seen.append(inputs.shape[1])
        return self.network.run(inputs)


def test_first_interaction_adds_objects_with_the_4_channel_network():
    session = Session(clip())
    seen = []
    session.interactor.networks = {
        k: ChannelSpy(v, seen) for k, v in session.interactor.networks.items()
    }
    labels = session.interact(
        1, scribbles(1, [stroke(1, 25, 50, 55, 50), stroke(2, 85, 35, 115, 35)])
    )
    assert seen == [4]  # one batch, both objects, first round
    assert session.object_ids == [1, 2]
    assert labels.shape == (96, 128) and set(np.unique(labels)) <= {0, 1, 2}
    assert 1 in session.annotated
    assert np.array_equal(session.labels(1), labels)


def test_correction_of_an_existing_mask_uses_the_5_channel_network():
    session = Session(clip())
    start = np.zeros((96, 128), np.uint8)
    start[30:70, 20:60] = 1
    session.add_mask(0, start)
    seen = []
    session.interactor.networks = {
        k: ChannelSpy(v, seen) for k, v in session.interactor.networks.items()
    }
    labels = session.interact(
        0, scribbles(0, [stroke(0, 25, 50, 55, 50)])
    )  # background over object 1
    assert seen == [5]
    assert set(np.unique(labels)) <= {0, 1}


def test_background_scribble_over_background_changes_nothing():
    session = Session(clip())
    start = np.zeros((96, 128), np.uint8)
    start[30:70, 20:60] = 1
    session.add_mask(2, start)
    labels = session.interact(2, scribbles(2, [stroke(0, 5, 85, 120, 85)]))
    assert np.array_equal(labels, start)


def test_interaction_errors_are_one_line_and_name_the_frame():
    session = Session(clip())
    with pytest.raises(TrackpropError, match="no scribbles on frame 3"):
        session.interact(3, scribbles(1, [stroke(1, 25, 50, 55, 50)]))
    with pytest.raises(TrackpropError, match="frame 1, object 1: every point lies off the frame"):
        session.interact(1, scribbles(1, [{"path": [[1.5, 1.5]], "object_id": 1}]))
    with pytest.raises(TrackpropError, match="frame 7 is out of range"):
        session.interact(7, scribbles(1, []))
