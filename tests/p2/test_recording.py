"""What P2 records while training: the fixed images alternate the classes, the recorded
epochs are first, middle and last, and a resumed run continues the same accuracy table."""

import pandas as pd
import pytest
import torch

from hw3core.data import TensorImages, synthetic_images
from hw3core.p2 import recording
from hw3core.p2.models import Extractor

pytestmark = pytest.mark.usefixtures("one_thread")  # tiny tensors: see conftest


def test_fixed_images_alternate_the_classes_and_are_seeded():
    labels = torch.tensor([0] * 10 + [1] * 10)
    picks = recording.fixed_indices(labels, 4, seed=5)
    assert labels[picks].tolist() == [0, 1, 0, 1]
    assert picks.tolist() == recording.fixed_indices(labels, 4, seed=5).tolist()


@pytest.mark.parametrize(("epochs", "expected"), [(1, [1]), (2, [1, 2]), (4, [1, 2, 4]), (30, [1, 15, 30])])
def test_map_epochs_are_first_middle_and_last(epochs, expected):
    assert recording.map_epochs(epochs) == expected


def test_recorder_writes_maps_at_the_chosen_epochs_and_keeps_earlier_rows(tmp_path):
    torch.manual_seed(0)
    images = synthetic_images(6, ("airplane", "automobile"), seed=1)
    split = TensorImages(images, [0.5] * 3, [0.25] * 3, torch.device("cpu"))
    extractor = Extractor([4, 4, 4], convs_per_stage=1)
    record = recording.EpochRecorder(tmp_path, split[[0, 1]][0], split, split, [2], torch.device("cpu"))
    record(0, extractor)
    record(1, extractor)
    assert not recording.feature_map_path(tmp_path, 1).exists() and recording.feature_map_path(tmp_path, 2).exists()
    resumed = recording.EpochRecorder(tmp_path, split[[0, 1]][0], split, split, [2], torch.device("cpu"))
    resumed(1, extractor)  # epoch 2 recorded again after a resume: replaced, not appended
    table = pd.read_csv(tmp_path / "embedding-history.csv")
    assert table["epoch"].tolist() == [1, 2] and table["centroid_val_acc"].between(0, 1).all()
