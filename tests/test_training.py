"""The shared trainer: history, best checkpoint, and exact resumption after a kill."""

from pathlib import Path

import pytest
import torch
from torch import nn

from hw3core import atomic
from hw3core.pipeline_check import blobs
from hw3core.data import tensor_loader
from hw3core.training import classification_step, fit, map_batches, predict, run_epoch


class Killed(RuntimeError):
    pass


def _train(workdir: Path, kill_after: int | None = None):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Dropout(0.2), nn.Linear(8, 2))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)

    def maybe_kill(epoch: int, _model: nn.Module) -> None:
        if kill_after is not None and epoch == kill_after:
            raise Killed

    history = fit(
        model,
        tensor_loader(blobs(256, 0), 32, shuffle=True, seed=3),
        tensor_loader(blobs(64, 1), 64, shuffle=False),
        epochs=5,
        optimizer=optimizer,
        scheduler=scheduler,
        workdir=workdir,
        device=torch.device("cpu"),
        seed=3,
        on_epoch_end=maybe_kill,
    )
    return model, history


def test_history_and_best_checkpoint(tmp_path: Path):
    model, history = _train(tmp_path)
    assert list(history.columns[:5]) == ["epoch", "train_loss", "train_acc", "val_loss", "val_acc"]
    assert len(history) == 5 and (tmp_path / "history.csv").exists()
    assert list(history["lr"]) == pytest.approx([0.05, 0.05, 0.025, 0.025, 0.0125])
    best = atomic.torch_load(tmp_path / "best.pt")
    model.load_state_dict(best)
    labels, predicted = predict(model, tensor_loader(blobs(64, 1), 64, shuffle=False), torch.device("cpu"))
    assert (labels == predicted).mean() == pytest.approx(history["val_acc"].max())
    assert not (tmp_path / "last-history.pt").exists(), "the resume state is removed once training ends"


def test_killed_run_resumes_to_the_same_result(tmp_path: Path):
    reference_model, reference = _train(tmp_path / "uninterrupted")
    with pytest.raises(Killed):
        _train(tmp_path / "killed", kill_after=2)
    assert (tmp_path / "killed" / "last-history.pt").exists()
    resumed_model, resumed = _train(tmp_path / "killed")
    columns = ["epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr"]
    assert resumed[columns].equals(reference[columns])
    for a, b in zip(reference_model.state_dict().values(), resumed_model.state_dict().values()):
        assert torch.equal(a, b)


def _old_run_epoch(model, loader, optimizer=None):
    """The trainer's epoch as it was before the device-side sums: float(loss) and int(correct) per step."""
    model.train(optimizer is not None)
    total_loss, correct, count = 0.0, 0, 0
    with torch.set_grad_enabled(optimizer is not None):
        for batch in loader:
            result = classification_step(model, batch)
            if optimizer is not None:
                optimizer.zero_grad(set_to_none=True)
                result.loss.backward()
                optimizer.step()
            total_loss += float(result.loss.detach()) * result.count
            correct += int(result.correct)
            count += result.count
    return total_loss / count, correct / count


def test_device_side_sums_give_the_numbers_of_per_step_reads():
    """run_epoch sums loss and hits on the device and reads them once; on the CPU the
    history is bit for bit what the per-step float()/int() reads gave (train and eval)."""
    results = []
    for epoch_fn in (_old_run_epoch, lambda m, l, o=None: run_epoch(m, l, classification_step, torch.device("cpu"), o)):
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        train, val = tensor_loader(blobs(200, 0), 24, shuffle=False), tensor_loader(blobs(90, 1), 32, shuffle=False)
        results.append([epoch_fn(model, train, optimizer), epoch_fn(model, val), epoch_fn(model, train, optimizer)])
    assert results[0] == results[1]  # exact equality, not approx
    step = classification_step(model, next(iter(val)))
    assert isinstance(step.correct, torch.Tensor) and step.correct.dim() == 0  # no host read inside the step


def test_flip_test_time_augmentation_sums_the_logits_of_the_mirror_image():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.LazyLinear(3))
    x, y = torch.randn(10, 3, 6, 6), torch.randint(0, 3, (10,))
    model(x)  # materialise the lazy layer
    loader = [(x, y)]
    _, plain = predict(model, loader, torch.device("cpu"))
    _, flipped = predict(model, loader, torch.device("cpu"), flip=True)
    with torch.no_grad():
        assert (plain == model(x).argmax(1).numpy()).all()
        assert (flipped == (model(x) + model(x.flip(3))).argmax(1).numpy()).all()
    assert (plain != flipped).any()  # with this seed the mirror image changes some predictions


def test_map_batches_joins_the_rows_of_every_slice_in_order():
    data = torch.arange(30.0).view(10, 3)
    assert torch.equal(map_batches(lambda part: data[part] + 1, 10, 3), data + 1)
    joined = map_batches(lambda part: {"a": data[part] * 2, "b": data[part, :1]}, 10, 4)
    assert torch.equal(joined["a"], data * 2) and torch.equal(joined["b"], data[:, :1])
