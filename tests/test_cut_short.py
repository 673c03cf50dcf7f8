"""The rehearsal's switch: loops cut to a few trimmed batches, epochs capped, and a projection
of the real run from what was measured (time scaled by images, FLOPs counted by PyTorch)."""

import json

import pytest
import torch
from torch import nn
from torch.utils.data import Dataset

from hw3core import cut_short
from hw3core.cache import config_key
from hw3core.data import tensor_loader
from hw3core.training import fit, map_batches

CUT = cut_short.Cut(batches=2, images=4, epochs=2)


class Points(Dataset):
    """`n` points in 8 dimensions, two classes; `dataset[list]` is a whole batch."""

    def __init__(self, n: int) -> None:
        generator = torch.Generator().manual_seed(0)
        self.x, self.y = torch.randn(n, 8, generator=generator), torch.arange(n) % 2

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, indices):
        return self.x[indices], self.y[indices]


def test_a_loader_runs_whole_outside_a_rehearsal_and_a_few_trimmed_batches_inside():
    loader = tensor_loader(Points(64), 16, shuffle=True, seed=1)
    assert [len(y) for _, y in loader] == [16] * 4
    with cut_short.cutting(CUT) as tally:
        assert [len(y) for _, y in loader] == [4, 4]
        assert len(loader) == 4  # schedules still see the real number of steps
    (loop,) = tally.run.loops
    assert (loop.images, loop.scale, loop.training) == (8, 64 / 8, True)


def test_rewrite_caps_every_stages_epochs_and_remembers_the_real_count():
    config = {"seed": 3, "train": {"epochs": 30, "lr": 0.1}, "head": {"epochs": 1}, "linear_epochs": 10, "features": {"batch_size": 128}}
    assert cut_short.rewrite(config) == config  # no rehearsal, no change
    with cut_short.cutting(CUT):
        cut = cut_short.rewrite(config)
    assert cut == {"seed": 3, "train": {"epochs": 2, "lr": 0.1}, "head": {"epochs": 1}, "linear_epochs": 2, "features": {"batch_size": 128}}
    assert (cut["train"]["epochs"].uncut, cut["linear_epochs"].uncut, cut["head"]["epochs"].uncut) == (30, 10, 1)
    assert json.loads(json.dumps(cut)) == cut and config_key("x", "full", cut) == config_key("x", "full", json.loads(json.dumps(cut)))


def test_map_batches_joins_rows_and_in_a_rehearsal_keeps_the_real_shape_with_zero_rows():
    data = torch.arange(30.0).view(10, 3)
    twice = lambda part: {"a": data[part] * 2, "b": data[part, :1]}  # noqa: E731
    assert torch.equal(map_batches(lambda part: data[part] + 1, 10, 3), data + 1)
    assert torch.equal(map_batches(twice, 10, 3)["b"], data[:, :1])
    with cut_short.cutting(cut_short.Cut(batches=2, images=2)) as tally:
        out = map_batches(twice, 10, 3)["a"]
    computed = torch.tensor([0, 1, 3, 4])
    assert out.shape == (10, 3) and torch.equal(out[computed], data[computed] * 2)
    assert not out[[i for i in range(10) if i not in computed.tolist()]].any()
    assert tally.run.loops[0].scale == 10 / 4


def test_the_projection_counts_outside_epochs_once_and_the_last_epoch_per_real_epoch():
    loop = cut_short.Loop(seconds=2.0, flops=100, images=8, scale=5.0, training=True)
    outside = cut_short.Loop(seconds=1.0, flops=10, images=4, scale=3.0, training=False)
    first, last = cut_short.Span(3.5, 150, [loop]), cut_short.Span(3.0, 150, [loop])
    tally = cut_short.Tally(cut_short.Span(10.0, 310, [loop, loop, outside]), [cut_short.StageTally("s", 30, [first, last])])
    seconds, flops = tally.projected()
    assert seconds == pytest.approx((10.0 - 6.5 + 1.0 * 2) + (3.0 + 2.0 * 4) * 30)
    assert flops == pytest.approx((310 - 300 + 10 * 2) + (150 + 100 * 4) * 30)
    assert tally.images_per_second() == (16 / 4.0, "train")


def test_a_cut_fit_projects_exactly_the_flops_of_the_real_run(tmp_path):
    """A linear layer: a forward costs 2·in·out FLOPs per image, its weight gradient as much
    again (the input needs none); the real run has 10 epochs of 64 training and 32
    validation images, of which the rehearsal ran 2 epochs of 8 and 8."""
    torch.manual_seed(0)
    model = nn.Linear(8, 2)
    per_image = 2 * 8 * 2
    train, val = tensor_loader(Points(64), 16, shuffle=True), tensor_loader(Points(32), 16, shuffle=False)
    with cut_short.cutting(CUT) as tally:
        epochs = cut_short.rewrite({"epochs": 10})["epochs"]
        history = fit(model, train, val, epochs=epochs, optimizer=torch.optim.SGD(model.parameters(), lr=0.1), workdir=tmp_path, device=torch.device("cpu"), seed=0, desc="linear")
    assert len(history) == 2 and [s.real_epochs for s in tally.stages] == [10]
    assert tally.run.flops == 2 * (8 * 2 * per_image + 8 * per_image)
    assert tally.projected()[1] == pytest.approx(10 * (64 * 2 * per_image + 32 * per_image))
    assert "stage 'linear'" in tally.stage()


@pytest.mark.parametrize("groups", [1, 4, 16])
def test_a_convolutions_backward_counts_its_forward_once_per_gradient(groups):
    """torch.utils.flop_counter alone counts a grouped convolution's backward as if dense."""
    conv = nn.Conv2d(16, 16, 3, padding=1, groups=groups, bias=False)
    x = torch.randn(2, 16, 8, 8, requires_grad=True)
    with cut_short.flop_counter() as forward:
        y = conv(x)
    with cut_short.flop_counter() as backward:
        y.sum().backward()
    assert forward.get_total_flops() == 2 * 2 * 8 * 8 * 16 * (16 // groups) * 9
    assert backward.get_total_flops() == 2 * forward.get_total_flops()
