"""A careful but unlucky user: every foreseeable mistake ends in one line that names the
file or setting and the fix, nothing valid is lost, and no stale result is served.

Tiny synthetic data only: image folders written into tmp_path, the pipeline-check experiment, and
the experiments defined here (which the commands find by name beside the book's).
"""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

import hw3core
from hw3core import atomic, cache, data, experiments, images, layout, provenance, registry, training
from hw3core.cli import main
from hw3core.errors import DataError, Interrupted, SettingError, StorageError
from hw3core.experiments import Experiment, by_name
from hw3core.settings import child_environment, get_settings


# --- experiments used below ----------------------------------------------------------


def _read_cifar(cfg, ctx):
    train = data.load_cifar10("train", ctx.settings)
    return {"images": len(train), "classes": len(train.classes)}


def _counter(cfg, ctx):
    atomic.torch_save({"w": torch.full((2,), float(cfg["value"]))}, ctx.workdir / "best.pt")
    return {"value": cfg["value"]}


def _fails_at_once(cfg, ctx):
    raise DataError("no data here")


STOP_AFTER: dict[str, int | None] = {"epoch": None}


def _three_epochs(cfg, ctx):
    from hw3core.pipeline_check import blobs

    torch.manual_seed(0)
    model = nn.Linear(2, 2)

    def maybe_stop(epoch, _model):
        if STOP_AFTER["epoch"] is not None and epoch == STOP_AFTER["epoch"]:
            raise KeyboardInterrupt

    history = training.fit(
        model,
        data.tensor_loader(blobs(64, 0), 16, shuffle=True),
        data.tensor_loader(blobs(32, 1), 32, shuffle=False),
        epochs=3,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
        workdir=ctx.workdir,
        device=ctx.device,
        seed=0,
        desc="three",
        on_epoch_end=maybe_stop,
    )
    return {"val_acc": history["val_acc"].tolist()}


def _uninterrupted(run, tmp_path: Path) -> dict:
    """What `run` returns when it is never stopped, in a fresh folder of its own."""
    folder = tmp_path / f"fresh-{len(list(tmp_path.glob('fresh-*')))}"
    folder.mkdir()
    return run({"seed": 0}, experiments.RunContext(folder, torch.device("cpu"), "smoke", get_settings()))


def _cifar_then_three_epochs(cfg, ctx):
    return {**_read_cifar(cfg, ctx), **_three_epochs(cfg, ctx)}


COUNTER = {"value": 1}
EXPERIMENTS = by_name(
    Experiment("bad-cifar", "tests", "reads the CIFAR-10 folder", lambda profile: {"seed": 0}, _read_cifar),
    Experiment("bad-cifar-epochs", "tests", "reads CIFAR-10, then trains", lambda profile: {"seed": 0}, _cifar_then_three_epochs),
    Experiment("bad-counter", "tests", "a value", lambda profile: dict(COUNTER), _counter),
    Experiment("bad-early-failure", "tests", "fails before any epoch", lambda profile: {}, _fails_at_once),
    Experiment("bad-three-epochs", "tests", "three epochs", lambda profile: {"seed": 0}, _three_epochs),
)


@pytest.fixture(autouse=True)
def _reset(monkeypatch):
    COUNTER["value"] = 1
    STOP_AFTER["epoch"] = None
    monkeypatch.setattr(registry, "EXPERIMENTS", {**registry.EXPERIMENTS, **EXPERIMENTS})  # for the commands below


def _cifar_folder(root: Path, per_class: int = 2, classes=data.CIFAR10_CLASSES, size: int = 32, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    for split in ("train", "test"):
        for name in classes:
            folder = root / "cifar10" / split / name
            folder.mkdir(parents=True, exist_ok=True)
            for k in range(per_class):
                Image.fromarray(rng.integers(0, 255, (size, size, 3), dtype=np.uint8)).save(folder / f"{k}.png")
    return root


@pytest.fixture
def cifar(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("HW3_DATA_DIR", str(tmp_path / "data"))
    return _cifar_folder(tmp_path / "data")


def _error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert err, "a message was printed"
    assert "Traceback" not in "\n".join(err)
    return err[-1]


# --- data: silent wrong results become one line --------------------------------------


def test_a_class_missing_from_one_split_is_named_and_nothing_is_cached(cifar, capsys):
    for image in (cifar / "cifar10" / "train" / "cat").iterdir():
        image.unlink()
    (cifar / "cifar10" / "train" / "cat").rmdir()
    assert main(["train", "bad-cifar"]) == 2
    line = _error_line(capsys)
    assert "cifar10/train" in line and "missing cat" in line
    assert experiments.status(EXPERIMENTS["bad-cifar"]) == "missing"


def test_changed_data_folder_is_decoded_again_and_the_result_is_stale(cifar, caplog):
    first = experiments.result(EXPERIMENTS["bad-cifar"])
    assert first.metrics["images"] == 20
    Image.new("RGB", (32, 32), (1, 2, 3)).save(cifar / "cifar10" / "train" / "cat" / "extra.png")
    assert experiments.status(EXPERIMENTS["bad-cifar"]) == "stale"
    with caplog.at_level("WARNING", logger="hw3"):
        second = experiments.result(EXPERIMENTS["bad-cifar"])
    assert second.metrics["images"] == 21, "the new image was decoded, not the old tensor reused"
    assert "data under" in caplog.text and "changed" in caplog.text
    assert list(first.directory.parent.glob(f"{first.directory.name}.stale-*")), "the old entry is kept aside"


@pytest.mark.parametrize(
    "damage, expected",
    [
        (lambda f: (f / "0.png").write_bytes(b"not an image at all"), "0.png is not a readable image"),
        (lambda f: (f / "0.png").write_bytes((f / "1.png").read_bytes()[:60]), "0.png is not a readable image"),
        (lambda f: Image.new("RGB", (40, 30)).save(f / "0.png"), "0.png is 40x30 pixels, CIFAR-10 images are 32x32"),
    ],
    ids=["not-an-image", "truncated", "wrong-size"],
)
def test_a_bad_image_file_is_named(cifar, damage, expected):
    damage(cifar / "cifar10" / "train" / "dog")
    with pytest.raises(DataError, match=expected) as error:
        data.load_cifar10("train", get_settings())
    assert "train/dog/0.png" in str(error.value) and "\n" not in str(error.value)


def test_a_truncated_jpeg_is_named(cifar):
    folder = cifar / "cifar10" / "test" / "frog"
    Image.new("RGB", (32, 32), (9, 9, 9)).save(folder / "cut.jpg", quality=90)
    (folder / "cut.jpg").write_bytes((folder / "cut.jpg").read_bytes()[:-200])
    with pytest.raises(DataError, match="cut.jpg is not a readable image"):
        data.load_cifar10("test", get_settings())


def test_an_empty_pickle_folder_says_what_is_missing(tmp_path, monkeypatch):
    (tmp_path / "data" / "cifar-10-batches-py").mkdir(parents=True)
    monkeypatch.setenv("HW3_DATA_DIR", str(tmp_path / "data"))
    with pytest.raises(DataError, match=r"cifar-10-batches-py is incomplete \(no batches.meta, data_batch_1.*delete it"):
        data.load_cifar10("train", get_settings())


def test_damaged_pickles_are_named(tmp_path, monkeypatch):
    folder = tmp_path / "data" / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    for name in data.CIFAR10_PICKLES:
        (folder / name).write_bytes(b"<html>a captive portal, not a pickle</html>")
    monkeypatch.setenv("HW3_DATA_DIR", str(tmp_path / "data"))
    with pytest.raises(DataError, match=r"data_batch_1, .*test_batch, batches.meta in .*cifar-10-batches-py fail torchvision's checksum; copy the folder again"):
        data.load_cifar10("test", get_settings())


def test_too_few_images_per_class_for_the_split():
    labels = torch.arange(3).repeat_interleave(4)
    with pytest.raises(DataError, match="class 0 has 4, at least 5 are needed"):
        data.stratified_subset(labels, 5, seed=0)
    with pytest.raises(DataError, match="too few images for a stratified split of 10 validation images over 3 classes"):
        data.stratified_split(labels, 10, seed=0)


def test_an_unreadable_decoded_copy_is_moved_aside_and_decoded_again(cifar, caplog):
    first = data.load_cifar10("train", get_settings())
    (cached,) = (get_settings().cache_dir / "datasets").glob("cifar10-train-*.pt")
    cached.write_bytes(b"torn")
    with caplog.at_level("WARNING", logger="hw3"):
        again = data.load_cifar10("train", get_settings())
    assert torch.equal(again.images, first.images)
    assert "is unreadable" in caplog.text and list(cached.parent.glob(f"{cached.name}.corrupt-*"))


# --- code changes make results stale ----------------------------------------------------


class Probe:
    """A study module, `hw3core.probe_study`, whose source a test writes and edits like a user."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self, source: str):
        """Write `source` and import it anew (the running process now has that code)."""
        self.path.write_text(source)
        import importlib

        module = importlib.import_module("hw3core.probe_study")
        return importlib.reload(module)


@pytest.fixture
def probe(tmp_path, monkeypatch) -> Probe:
    monkeypatch.setattr(hw3core, "__path__", [*hw3core.__path__, str(tmp_path / "pkg")])
    monkeypatch.setattr(sys, "dont_write_bytecode", True)  # a .pyc is keyed by whole seconds: reload the source
    (tmp_path / "pkg").mkdir()
    yield Probe(tmp_path / "pkg" / "probe_study.py")
    sys.modules.pop("hw3core.probe_study", None)


PROBE = '''
SCALE = {scale}  # {comment}


def run(cfg, ctx):
    return {{"value": SCALE * cfg["x"]}}
'''


def test_edited_code_makes_the_result_stale_but_a_comment_does_not(probe):
    module = probe.load(PROBE.format(scale=2, comment="first"))
    probed = Experiment("bad-probe", "tests", "code probe", lambda profile: {"x": 1}, module.run)
    assert experiments.result(probed).metrics["value"] == 2
    probe.path.write_text(PROBE.format(scale=2, comment="a comment changed, and the layout too  "))
    assert experiments.status(probed) == "cached"
    probe.path.write_text(PROBE.format(scale=3, comment="first"))
    assert experiments.status(probed) == "stale"
    module = probe.load(PROBE.format(scale=3, comment="first"))
    assert experiments.result(probed).metrics["value"] == 3


# --- settings ------------------------------------------------------------------------------


def test_relative_paths_mean_where_the_command_was_typed_in_every_process(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cat.png").write_bytes(b"")
    for name, value in {"HW3_CACHE_DIR": "rel-cache", "HW3_DATA_DIR": "d", "TORCH_HOME": "th", "HW3_P3_IMAGE": "cat.png"}.items():
        monkeypatch.setenv(name, value)
    before = dict(os.environ)
    assert main(["train", "pipeline-check"]) == 0
    assert dict(os.environ) == before, "the command reads the environment, it does not rewrite it"
    settings = get_settings()
    assert (settings.cache_dir, settings.torch_home, settings.p3_image) == (tmp_path / "rel-cache", tmp_path / "th", tmp_path / "cat.png")
    (tmp_path / "report").mkdir()
    child = subprocess.run(
        [sys.executable, "-c", "from hw3core.settings import get_settings; print(get_settings().cache_dir)"],
        cwd=tmp_path / "report", capture_output=True, text=True,
        env={**child_environment(settings), "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert child.stdout.strip() == str(tmp_path / "rel-cache"), child.stderr
    assert list((tmp_path / "rel-cache" / "pipeline-check").glob("*/manifest.json")), "the entry is where every process looks"


def test_a_kernel_takes_relative_paths_against_the_quarto_project_root(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QUARTO_PROJECT_ROOT", str(tmp_path / "project"))
    monkeypatch.setenv("HW3_CACHE_DIR", ".hw3/cache")
    assert get_settings().cache_dir == tmp_path / "project" / ".hw3" / "cache"


@pytest.mark.parametrize("device, expected", [("cuda", "no cuda device"), ("gpu", "not a device name PyTorch knows")])
def test_an_unusable_device_stops_training_but_not_list(monkeypatch, capsys, device, expected):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setenv("HW3_DEVICE", device)
    assert main(["list"]) == 0
    capsys.readouterr()
    assert main(["train", "pipeline-check"]) == 2
    line = _error_line(capsys)
    assert f"HW3_DEVICE='{device}'" in line and expected in line and "cpu" in line


def test_a_cache_dir_that_is_a_file_or_cannot_be_created(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("I am a file")
    for cache_dir in (blocker, blocker / "cache"):
        monkeypatch.setenv("HW3_CACHE_DIR", str(cache_dir))
        assert main(["train", "pipeline-check"]) == 2
        line = _error_line(capsys)
        assert str(blocker) in line and "point HW3_CACHE_DIR at a folder" in line
    assert blocker.read_text() == "I am a file"


# --- storage ------------------------------------------------------------------------------------


def test_disk_full_is_one_line_and_keeps_the_valid_entry(monkeypatch, capsys):
    valid = experiments.result(EXPERIMENTS["bad-counter"])
    COUNTER["value"] = 2

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(atomic.os, "fsync", full)
        assert main(["train", "bad-counter"]) == 2
    line = _error_line(capsys)
    assert "cannot write" in line and "the disk is full" in line
    COUNTER["value"] = 1
    assert experiments.status(EXPERIMENTS["bad-counter"]) == "cached"
    assert torch.equal(experiments.result(EXPERIMENTS["bad-counter"]).state_dict()["w"], torch.ones(2))
    assert not list(valid.directory.parent.glob(".*.tmp")) and not list(valid.directory.glob(".*.tmp"))


def test_a_read_only_cache_serves_its_valid_entries(monkeypatch):
    valid = experiments.result(EXPERIMENTS["bad-counter"])
    lock = valid.directory.parent / f"{valid.directory.name}.lock"
    lock.unlink()

    def read_only(*args, **kwargs):
        raise StorageError("cannot write: the file system is read-only")

    monkeypatch.setattr(atomic, "write_bytes", read_only)
    monkeypatch.setattr(atomic, "make_dir", read_only)
    again = experiments.result(EXPERIMENTS["bad-counter"])
    assert again.directory == valid.directory and again.metrics["value"] == 1
    assert not lock.exists(), "reading created no lock file"
    COUNTER["value"] = 5
    with pytest.raises(StorageError, match="read-only"):
        experiments.result(EXPERIMENTS["bad-counter"])


# --- runs that stop ----------------------------------------------------------------------------


def test_ctrl_c_says_where_a_rerun_resumes_and_the_rerun_does(tmp_path, capsys, caplog):
    STOP_AFTER["epoch"] = 1  # during the second epoch, after its first is saved
    assert main(["train", "bad-three-epochs"]) == 130
    assert _error_line(capsys) == "hw3: interrupted during three; run again to resume from epoch 2 of 3"
    assert experiments.status(EXPERIMENTS["bad-three-epochs"]) == "resumable"
    STOP_AFTER["epoch"] = None
    with caplog.at_level("INFO", logger="hw3"):
        resumed = experiments.result(EXPERIMENTS["bad-three-epochs"])
    assert "three: resuming from epoch 2 of 3" in caplog.text
    runs = resumed.json("runs.json")
    assert [r["outcome"] for r in runs] == ["interrupted", "finished"]
    assert resumed.metrics["run_seconds"] == pytest.approx(sum(r["seconds"] for r in runs))
    assert resumed.metrics["val_acc"] == _uninterrupted(_three_epochs, tmp_path)["val_acc"]


def test_interrupted_is_still_a_keyboard_interrupt():
    assert issubclass(Interrupted, KeyboardInterrupt) and Interrupted.exit_code == 130


def test_a_corrupt_resume_file_is_moved_aside_and_the_run_starts_over(tmp_path, caplog):
    from hw3core.pipeline_check import blobs

    def run(workdir):
        torch.manual_seed(0)
        model = nn.Linear(2, 2)
        return training.fit(
            model, data.tensor_loader(blobs(64, 0), 16, shuffle=True), data.tensor_loader(blobs(32, 1), 32, shuffle=False),
            epochs=2, optimizer=torch.optim.SGD(model.parameters(), lr=0.1), workdir=workdir, device=torch.device("cpu"), seed=0, desc="two",
        )

    clean = run(tmp_path / "clean")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "last-history.pt").write_bytes(b"\x80\x02 half a pickle")
    with caplog.at_level("WARNING", logger="hw3"):
        again = run(broken)
    assert "resume file" in caplog.text and "starting over from epoch 1" in caplog.text
    assert list(broken.glob("last-history.pt.corrupt-*"))
    assert again["val_acc"].tolist() == clean["val_acc"].tolist()


def test_a_run_that_failed_before_any_epoch_is_not_resumable(capsys):
    assert main(["train", "bad-early-failure"]) == 2
    assert _error_line(capsys) == "hw3: error: no data here"
    assert experiments.status(EXPERIMENTS["bad-early-failure"]) == "missing"


def test_list_says_training_in_another_process(capsys):
    entry = experiments._entry(EXPERIMENTS["bad-counter"], None, None)
    with entry.cache.locked("bad-counter", entry.key):
        assert experiments.status(EXPERIMENTS["bad-counter"]) == "training"
        main(["list"])
    line = next(l for l in capsys.readouterr().out.splitlines() if l.startswith("bad-counter "))
    assert "training in another process" in line


# --- a cache entry is one code version and one data version, resumed or not -----------------


PROBE_TRAINING = """
import torch
from torch import nn

from hw3core import data, training
from hw3core.pipeline_check import blobs

LR = {lr}  # {comment}
AFTER_EPOCH = None  # the test's hook: called after each epoch (to stop the run, or to edit this file)


def run(cfg, ctx):
    torch.manual_seed(0)
    model = nn.Linear(2, 2)
    history = training.fit(
        model, data.tensor_loader(blobs(64, 0), 16, shuffle=True), data.tensor_loader(blobs(32, 1), 32, shuffle=False),
        epochs=3, optimizer=torch.optim.SGD(model.parameters(), lr=LR), workdir=ctx.workdir, device=ctx.device,
        seed=0, desc="probe", on_epoch_end=AFTER_EPOCH,
    )
    return {{"val_loss": history["val_loss"].tolist()}}
"""


def _stop_at(stop: int):
    def hook(epoch, _model):
        if epoch == stop:
            raise KeyboardInterrupt

    return hook


def test_a_stopped_run_is_not_resumed_by_edited_code_but_is_after_a_comment(probe, tmp_path, caplog):
    module = probe.load(PROBE_TRAINING.format(lr=0.1, comment="first"))
    probed = Experiment("bad-probe-training", "tests", "trains", lambda profile: {"seed": 0}, module.run)
    entry = experiments._entry(probed, None, None)
    module.AFTER_EPOCH = _stop_at(1)
    with pytest.raises(Interrupted):
        experiments.result(probed)
    recorded = json.loads((entry.partial / "provenance.json").read_text())
    assert recorded == {"code": entry.code, "data": {}}, "the stopped run says which code made its epochs"

    module = probe.load(PROBE_TRAINING.format(lr=0.1, comment="a comment changed"))
    assert experiments.status(probed) == "resumable"
    module.AFTER_EPOCH = _stop_at(2)
    with pytest.raises(Interrupted):
        experiments.result(probed)  # resumed at epoch 2, stopped again in epoch 3

    module = probe.load(PROBE_TRAINING.format(lr=0.05, comment="first"))  # the kind of edit that changes numbers
    assert experiments.status(probed) == "stale"
    caplog.clear()
    with caplog.at_level("INFO", logger="hw3"):
        finished = experiments.result(probed)
    assert "cannot be resumed, the code that computes it has changed" in caplog.text and "starting from epoch 1" in caplog.text
    assert "resuming from epoch" not in caplog.text
    (moved,) = entry.partial.parent.glob(f"{entry.partial.name}.stale-*")
    assert [r["outcome"] for r in json.loads((moved / "runs.json").read_text())] == ["interrupted", "interrupted"]
    assert [r["outcome"] for r in finished.json("runs.json")] == ["finished"]
    assert finished.metrics["val_loss"] == _uninterrupted(module.run, tmp_path)["val_loss"], "all three epochs of the new code"
    assert finished.json("provenance.json")["code"] == entry.code


def test_code_edited_while_a_run_trains_is_not_served_as_current(probe, capsys, monkeypatch):
    module = probe.load(PROBE_TRAINING.format(lr=0.1, comment="first"))
    probed = Experiment("bad-probe-training", "tests", "trains", lambda profile: {"seed": 0}, module.run)
    monkeypatch.setattr(registry, "EXPERIMENTS", {**registry.EXPERIMENTS, probed.name: probed})
    module.AFTER_EPOCH = lambda epoch, _model: epoch == 1 and probe.path.write_text(PROBE_TRAINING.format(lr=0.05, comment="first"))
    assert main(["train", "bad-probe-training"]) == 2
    line = _error_line(capsys)
    assert "the code or data of bad-probe-training changed while it trained" in line and "run again" in line
    assert experiments.status(probed) == "stale"
    module = probe.load(probe.path.read_text())
    assert experiments.result(probed).metrics["val_loss"] == _uninterrupted(module.run, probe.path.parent)["val_loss"]


def _add_image(cifar: Path) -> None:
    Image.new("RGB", (32, 32), (1, 2, 3)).save(cifar / "cifar10" / "train" / "cat" / "extra.png")


def _replace_image(cifar: Path) -> None:
    Image.new("RGB", (32, 32), (250, 2, 3)).save(cifar / "cifar10" / "train" / "dog" / "0.png")


def _remove_image(cifar: Path) -> None:
    (cifar / "cifar10" / "train" / "frog" / "1.png").unlink()


@pytest.mark.parametrize(
    "change, images", [(None, 20), (_add_image, 21), (_replace_image, 20), (_remove_image, 19)], ids=["unchanged", "added", "replaced", "removed"]
)
def test_a_stopped_run_resumes_only_on_the_data_it_started_from(cifar, tmp_path, caplog, change, images):
    experiment = EXPERIMENTS["bad-cifar-epochs"]
    entry = experiments._entry(experiment, None, None)
    STOP_AFTER["epoch"] = 1
    with pytest.raises(Interrupted):
        experiments.result(experiment)
    recorded = json.loads((entry.partial / "provenance.json").read_text())["data"]
    assert list(recorded) == [str(cifar / "cifar10" / "train")], "what the stopped run read is on disk before its first epoch"
    STOP_AFTER["epoch"] = None
    if change is not None:
        change(cifar)
        assert experiments.status(experiment) == "stale"
    with caplog.at_level("INFO", logger="hw3"):
        finished = experiments.result(experiment)
    assert finished.metrics["images"] == images
    assert finished.metrics["val_acc"] == _uninterrupted(_three_epochs, tmp_path)["val_acc"], "bit-identical to a run never stopped"
    if change is None:
        assert "three: resuming from epoch 2 of 3" in caplog.text
        assert [r["outcome"] for r in finished.json("runs.json")] == ["interrupted", "finished"]
    else:
        assert f"cannot be resumed, the data under {cifar / 'cifar10' / 'train'} has changed" in caplog.text
        assert "resuming from epoch" not in caplog.text and list(entry.partial.parent.glob(f"{entry.partial.name}.stale-*"))
        assert [r["outcome"] for r in finished.json("runs.json")] == ["finished"]
    assert experiments.status(experiment) == "cached"


def test_a_stopped_run_that_records_no_versions_is_not_resumed(caplog):
    experiment = EXPERIMENTS["bad-three-epochs"]
    STOP_AFTER["epoch"] = 1
    with pytest.raises(Interrupted):
        experiments.result(experiment)
    partial = experiments._entry(experiment, None, None).partial
    (partial / "provenance.json").unlink()  # as an older version left its stopped runs
    assert experiments.status(experiment) == "stale"
    STOP_AFTER["epoch"] = None
    with caplog.at_level("INFO", logger="hw3"):
        experiments.result(experiment)
    assert "cannot be resumed, it records no code or data version" in caplog.text and "resuming from epoch" not in caplog.text


def test_data_that_changes_between_two_reads_of_one_run_is_refused(cifar):
    def reads_twice(cfg, ctx):
        first = len(data.load_cifar10("train", ctx.settings))
        _add_image(cifar)
        return {"images": [first, len(data.load_cifar10("train", ctx.settings))]}

    twice = Experiment("bad-reads-twice", "tests", "reads a folder that changes under it", lambda profile: {}, reads_twice)
    with pytest.raises(DataError, match=r"cifar10/train changed during the run \(its files differ from when the run first read it\); run again"):
        experiments.result(twice)
    assert experiments.status(twice) == "missing"


# --- fingerprints: what a loader sees, or one line saying why not ------------------------------


def _linked_cifar(root: Path, store: Path) -> None:
    """A CIFAR-10 image folder whose class folders are links into `store` (another copy's folders)."""
    for split in ("train", "test"):
        (root / "cifar10" / split).mkdir(parents=True, exist_ok=True)
        for name in data.CIFAR10_CLASSES:
            link = root / "cifar10" / split / name
            link.unlink(missing_ok=True)
            link.symlink_to(store / "cifar10" / split / name, target_is_directory=True)


def test_class_folders_that_are_links_are_read_through_and_repointing_them_is_noticed(tmp_path, monkeypatch):
    first_store, second_store = _cifar_folder(tmp_path / "store-1", seed=1), _cifar_folder(tmp_path / "store-2", seed=2)
    _linked_cifar(tmp_path / "data", first_store)
    monkeypatch.setenv("HW3_DATA_DIR", str(tmp_path / "data"))
    before = data.load_cifar10("train", get_settings())
    assert experiments.result(EXPERIMENTS["bad-cifar"]).metrics["images"] == 20
    _linked_cifar(tmp_path / "data", second_store)
    assert experiments.status(EXPERIMENTS["bad-cifar"]) == "stale"
    after = data.load_cifar10("train", get_settings())
    assert not torch.equal(after.images, before.images), "the images the links now point at, not the old decoded copy"
    assert torch.equal(after.images, data.load_cifar10("train", dataclasses.replace(get_settings(), data_dir=second_store)).images)


def test_a_fingerprint_follows_links_to_what_they_point_at(tmp_path):
    store = _cifar_folder(tmp_path / "store") / "cifar10" / "train"
    copy = tmp_path / "copy"
    shutil.copytree(store, copy)  # copy2: names, sizes and modification times kept, as rsync -a or tar keep them
    linked = tmp_path / "linked"
    linked.mkdir()
    for name in data.CIFAR10_CLASSES:
        (linked / name).symlink_to(store / name)
    assert provenance.files_fingerprint(linked) == provenance.files_fingerprint(copy) == provenance.files_fingerprint(store)
    (linked / "cat").unlink()
    (linked / "cat").symlink_to(store / "dog")
    assert provenance.files_fingerprint(linked) != provenance.files_fingerprint(copy)
    (store / "dog" / "1.png").unlink()
    (store / "dog" / "1.png").symlink_to(store / "dog" / "0.png")  # a file link: what it points at counts
    assert provenance.files_fingerprint(store) != provenance.files_fingerprint(copy)


def _bytes_name(folder: Path, name: bytes) -> Path:
    return Path(os.fsdecode(os.fsencode(folder) + b"/" + name))


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda d: (d / "cat" / "loop").symlink_to(d), r"cat/loop leads back to .*/train, a folder above it \(a loop\); remove the link"),
        (lambda d: (d / "cat" / "0.png").unlink() or (d / "cat" / "0.png").symlink_to(d / "gone.png"), r"cat/0.png is a broken link \(to .*/gone.png, which does not exist\)"),
        (lambda d: _bytes_name(d / "cat", b"caf\xe9.png").write_bytes(b""), r"train/cat: the name caf\\xe9.png is not valid UTF-8 .*rename it"),
        (lambda d: _bytes_name(d / "dog", b"\xff\xfe").mkdir() or _bytes_name(d / "dog", b"\xff\xfe/0.png").write_bytes(b""), r"train/dog: the name \\xff\\xfe is not valid UTF-8"),
    ],
    ids=["link-loop", "broken-link", "file-name-not-utf8", "folder-name-not-utf8"],
)
def test_a_folder_that_cannot_be_fingerprinted_honestly_is_one_line(tmp_path, make, expected):
    folder = _cifar_folder(tmp_path / "data") / "cifar10" / "train"
    make(folder)
    with pytest.raises(DataError, match=expected) as error:
        provenance.files_fingerprint(folder)
    assert "\n" not in str(error.value)


def test_an_empty_data_folder_is_an_error_not_the_fingerprint_of_nothing(tmp_path):
    (tmp_path / "empty" / "cat" / "nested").mkdir(parents=True)
    for folder in (tmp_path / "empty", tmp_path / "empty" / "cat"):
        with pytest.raises(DataError, match=f"{folder} holds no files; put the data set there"):
            provenance.files_fingerprint(folder)
    assert provenance.files_fingerprint(tmp_path / "absent") == "missing"


def test_a_folder_that_cannot_be_listed_is_one_line(tmp_path, monkeypatch):
    folder = _cifar_folder(tmp_path / "data") / "cifar10" / "train"
    scandir = os.scandir

    def refuse(path):
        if Path(path) == folder / "cat":
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return scandir(path)

    monkeypatch.setattr(provenance.os, "scandir", refuse)  # chmod 000 is no barrier to root, who runs the tests here
    with pytest.raises(DataError, match=r"cannot read the folder .*train/cat \(Permission denied\); fix its permissions"):
        provenance.files_fingerprint(folder)


@pytest.mark.parametrize(
    "damage, expected",
    [
        (lambda c: _bytes_name(c / "train" / "cat", b"caf\xe9.png").write_bytes((c / "train" / "cat" / "0.png").read_bytes()), r"cifar10/train/cat: the name caf\xe9.png is not valid UTF-8"),
        (lambda c: _bytes_name(c / "train", b"\xe9t\xe9").mkdir(), r"cifar10/train: the name \xe9t\xe9 is not valid UTF-8"),
        (lambda c: shutil.rmtree(c / "train" / "cat") or (c / "train" / "cat").symlink_to(c / "nowhere"), "train/cat is a broken link (to "),
        (lambda c: [p.unlink() for p in (c / "train" / "cat").iterdir()] and (c / "train" / "cat" / "notes.txt").write_text("x"), "no image files in cat (ImageFolder reads .jpg"),
    ],
    ids=["file-not-utf8", "class-folder-not-utf8", "class-link-broken", "class-without-images"],
)
def test_a_data_folder_problem_stops_train_with_one_line(cifar, capsys, damage, expected):
    damage(cifar / "cifar10")
    assert main(["train", "bad-cifar"]) == 2
    line = _error_line(capsys)
    assert expected in line, line
    assert "rename" in line or "point it at the data" in line or "needs its images" in line


def test_an_entry_whose_data_became_unusable_is_listed_stale_and_retraining_says_why(cifar, capsys):
    experiments.result(EXPERIMENTS["bad-cifar"])
    _bytes_name(cifar / "cifar10" / "train" / "cat", b"caf\xe9.png").write_bytes(b"")
    assert experiments.status(EXPERIMENTS["bad-cifar"]) == "stale"
    assert main(["list"]) == 0
    capsys.readouterr()
    assert main(["train", "bad-cifar"]) == 2
    assert "caf\\xe9.png is not valid UTF-8" in _error_line(capsys)


# --- nothing set aside is published ---------------------------------------------------------------


class _Planted:
    """What a malicious resume file would run on loading, were it unpickled with weights_only=False."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return Path.write_text, (self.marker, "the planted code ran")


def test_a_resume_file_set_aside_stays_out_of_the_entry_and_its_manifest(tmp_path, caplog):
    experiment = EXPERIMENTS["bad-three-epochs"]
    entry = experiments._entry(experiment, None, None)
    STOP_AFTER["epoch"] = 1
    with pytest.raises(Interrupted):
        experiments.result(experiment)
    torch.save(_Planted(tmp_path / "ran"), entry.partial / "last-history.pt")
    STOP_AFTER["epoch"] = None
    with caplog.at_level("WARNING", logger="hw3"):
        finished = experiments.result(experiment)
    assert not (tmp_path / "ran").exists(), "the planted code never ran"
    assert "is unreadable (it holds more than tensors, which loading with weights_only=True refuses)" in caplog.text
    assert "starting over from epoch 1" in caplog.text and "\x1b[" not in caplog.text and "weights_only=False" not in caplog.text
    published = [p.relative_to(finished.directory) for p in finished.directory.rglob("*")]
    assert not [p for p in published if layout.is_set_aside(p.name)]
    assert not [name for name in finished.json("manifest.json")["files"] if layout.is_set_aside(Path(name).name)]
    (kept,) = finished.directory.parent.glob(f"{finished.directory.name}.set-aside-*")
    assert [p.name.startswith("last-history.pt.corrupt-") for p in kept.iterdir()] == [True]
    assert f"kept in {kept}, not in the entry" in caplog.text
    assert finished.metrics["val_acc"] == _uninterrupted(_three_epochs, tmp_path)["val_acc"]


def test_a_partial_holding_only_what_was_set_aside_has_nothing_to_resume():
    experiment = EXPERIMENTS["bad-three-epochs"]
    partial = experiments._entry(experiment, None, None).partial
    (partial / "feature-maps").mkdir(parents=True)
    (partial / "feature-maps" / "epoch-1.pt.corrupt-20240101-120000").write_bytes(b"junk")
    assert experiments.status(experiment) == "missing"
    finished = experiments.result(experiment)
    assert not list(finished.directory.rglob("*.corrupt-*"))
    (kept,) = finished.directory.parent.glob(f"{finished.directory.name}.set-aside-*")
    assert (kept / "feature-maps" / "epoch-1.pt.corrupt-20240101-120000").read_bytes() == b"junk"


def test_an_entry_whose_manifest_lists_a_set_aside_file_is_recomputed(caplog):
    first = experiments.result(EXPERIMENTS["bad-counter"])
    (first.directory / "last-history.pt.corrupt-20240101-120000").write_bytes(b"published by an older version")
    cache.write_manifest(first.directory)
    assert experiments.status(EXPERIMENTS["bad-counter"]) == "corrupt"
    with caplog.at_level("WARNING", logger="hw3"):
        again = experiments.result(EXPERIMENTS["bad-counter"])
    assert "lists last-history.pt.corrupt-20240101-120000, a file set aside during its run" in caplog.text
    assert list(again.json("manifest.json")["files"]) == sorted(p.name for p in again.directory.iterdir() if p.name != "manifest.json")


# --- pretrained weights ---------------------------------------------------------------------


def test_a_corrupt_weights_file_shows_the_missing_weights_note(tmp_path, monkeypatch):
    from hw3core.p3 import architecture, study, text, weights

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    target = weights.hub_checkpoint(weights.BACKBONES["mobilenet_v2"], get_settings())
    target.parent.mkdir(parents=True)
    target.write_bytes(b"<html>a captive portal, not weights</html>")
    missing = architecture.imagenet_classifier("quick")
    assert isinstance(missing, weights.MissingWeights)
    assert f"corrupt file at {target}" in missing.message() and "weights_only" not in missing.message()
    outcome = study.frozen_outcome("mobilenet_v2", "quick")
    assert isinstance(outcome, weights.MissingWeights) and "corrupt file at" in outcome.reason
    note = text.missing_note([outcome])
    assert f"`{target}`" in note and "خوانده نمی‌شود" in note and "weights_only" not in note
    assert target.read_bytes().startswith(b"<html>"), "the user's file is left for them to inspect"
    assert experiments.status(study.EXPERIMENTS[study.features_name("mobilenet_v2")], "quick") == "missing"


# --- images --------------------------------------------------------------------------------------


def test_a_16_bit_png_is_scaled_not_clipped(tmp_path):
    from hw3core.p3.architecture import read_image

    levels = np.array([[0, 16384, 32768, 65535]], dtype=np.uint16)
    Image.fromarray(levels).save(tmp_path / "deep.png")
    assert read_image(tmp_path / "deep.png")[0, 0].tolist() == [0, 64, 128, 255]


def test_transparent_pixels_become_white(tmp_path):
    from hw3core.p3.architecture import read_image

    pixels = np.array([[[200, 10, 10, 0], [200, 10, 10, 255], [0, 0, 0, 128]]], dtype=np.uint8)
    Image.fromarray(pixels, "RGBA").save(tmp_path / "alpha.png")
    assert read_image(tmp_path / "alpha.png")[:, 0].T.tolist() == [[255, 255, 255], [200, 10, 10], [127, 127, 127]]


COLOUR = (200, 100, 50)
GREY = round(0.299 * 200 + 0.587 * 100 + 0.114 * 50)  # ITU-R 601 luma, Pillow's RGB -> L


@pytest.mark.parametrize(
    "mode, expected",
    [
        ("RGB", COLOUR), ("RGBA", COLOUR), ("RGBX", COLOUR), ("RGBa", COLOUR), ("CMYK", COLOUR), ("YCbCr", COLOUR),
        ("HSV", COLOUR), ("LAB", COLOUR), ("P", COLOUR), ("PA", COLOUR), ("L", (GREY,) * 3), ("LA", (GREY,) * 3),
        ("La", (GREY,) * 3), ("I", (GREY,) * 3), ("F", (GREY,) * 3), ("1", (255,) * 3),
    ],
)
def test_every_pillow_mode_becomes_the_same_rgb(mode, expected):
    source = Image.new("RGB", (4, 4), COLOUR if mode != "1" else (255, 255, 255))
    converted = source.quantize(8).convert(mode) if mode in ("P", "PA") else source.convert(mode)
    got = images.rgb_tensor(converted)[:, 0, 0].tolist()
    assert got == pytest.approx(list(expected), abs=2)


@pytest.mark.parametrize("mode", ["I;16", "I;16B", "I;16L"])
def test_16_bit_modes_use_their_full_scale(mode):
    assert images.rgb_tensor(Image.new(mode, (2, 2), 65535))[:, 0, 0].tolist() == [255, 255, 255]
    assert images.rgb_tensor(Image.new(mode, (2, 2), 257 * 100))[:, 0, 0].tolist() == [100, 100, 100]


def test_a_transparent_palette_image_is_composited_on_white():
    palette = Image.new("P", (2, 1))
    palette.putpalette([10, 20, 30, 40, 50, 60])
    palette.putpixel((1, 0), 1)
    palette.info["transparency"] = 0
    assert images.rgb_tensor(palette)[:, 0].T.tolist() == [[255, 255, 255], [40, 50, 60]]


# --- a chapter cell that fails -------------------------------------------------------------------


def test_a_failing_chapter_cell_names_chapter_cell_and_error_and_logs_the_traceback(tmp_path):
    from hw3render.execute import ChapterError, execute
    from hw3render.qmd import parse, to_notebook

    chapter = textwrap.dedent(
        """\
        # A chapter {#sec-a}

        ```{python}
        x = 1
        ```

        ```{python}
        #| label: tbl-broken
        def inner():
            raise ValueError("the cell broke here")
        inner()
        ```
        """
    )
    (tmp_path / "report").mkdir()
    notebook = to_notebook(parse(chapter))
    with pytest.raises(ChapterError) as error:
        execute(notebook, Path("report/a.qmd"), tmp_path, get_settings())
    message = str(error.value)
    assert message.startswith("report/a.qmd: cell tbl-broken failed: ValueError: the cell broke here (full traceback: ")
    assert "\n" not in message and str(error.value.log) in message
    assert "inner()" in error.value.log.read_text(), "the log holds the whole traceback"
