"""figures.audit: each property a printed figure needs, on figures that have it and lack it."""

import base64

import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure

from hw3core import chapter, figures


def _plot(width: float = 5.0, **labels: str) -> tuple[Figure, object]:
    fig = Figure(figsize=(width, 3.0), layout="constrained")
    ax = fig.subplots()
    ax.plot([1, 2, 3], [2, 1, 3])
    ax.set(**labels)
    return fig, ax


def test_a_labelled_plot_passes():
    fig, _ = _plot(xlabel="epoch", ylabel="loss", title="loss")
    assert figures.audit(fig) == []
    assert figures.check(fig) is fig


@pytest.mark.parametrize("labels, missing", [({"ylabel": "loss"}, "no x label"), ({"xlabel": "epoch"}, "no y label")])
def test_a_missing_axis_label_is_named(labels, missing):
    fig, _ = _plot(**labels)
    assert [d for d in figures.audit(fig) if "label" in d] == [f"axes 1 of 1: {missing}"]


def test_a_label_on_one_of_shared_axes_is_enough():
    fig = Figure(figsize=(5, 3))
    left, right = fig.subplots(1, 2, sharey=True)
    for ax in (left, right):
        ax.plot([1, 2], [1, 2])
        ax.set_xlabel("epoch")
    left.set_ylabel("loss")
    assert figures.audit(fig) == []


def test_several_labelled_series_need_a_legend_that_names_them():
    fig, ax = _plot(xlabel="epoch", ylabel="loss")
    ax.lines[0].set_label("train")
    ax.plot([1, 2, 3], [3, 2, 1], label="validation")
    assert any("2 labelled series but no legend" in d for d in figures.audit(fig))
    fig.legend()  # a figure legend elsewhere names them as well as the axes' own would
    assert figures.audit(fig) == []


def test_one_labelled_series_needs_no_legend():
    fig, ax = _plot(xlabel="epoch", ylabel="loss")
    ax.lines[0].set_label("train")
    assert figures.audit(fig) == []


def test_hidden_axes_must_be_declared_an_image_or_a_diagram():
    fig = Figure(figsize=(3, 3))
    ax = fig.subplots()
    ax.imshow(np.zeros((4, 4, 3)))
    ax.axis("off")
    assert figures.audit(fig) == ["axes 1 of 1: its axes are hidden but it is not declared an image or a diagram (figures.image_axes / figures.diagram)"]
    figures.image_axes(ax)
    assert figures.audit(fig) == []
    figures.diagram(ax)
    assert figures.audit(fig) == []


def test_a_value_drawn_as_colour_needs_a_labelled_colour_bar():
    fig = Figure(figsize=(4, 3))
    ax = figures.image_axes(fig.subplots())
    shown = ax.imshow(np.arange(16.0).reshape(4, 4), cmap="viridis")
    assert any("no colour bar shows its scale" in d for d in figures.audit(fig))
    bar = fig.colorbar(shown, ax=ax)
    assert any("colour bar without a label" in d for d in figures.audit(fig))
    bar.set_label("activation")
    assert figures.audit(fig) == []


def test_images_sharing_one_norm_share_one_colour_bar():
    fig = Figure(figsize=(5, 3))
    axes = [figures.image_axes(ax) for ax in fig.subplots(1, 2)]
    norm = matplotlib.colors.Normalize(0, 1)
    shown = [ax.imshow(np.random.default_rng(0).random((4, 4)), norm=norm) for ax in axes]
    fig.colorbar(shown[0], ax=axes, label="value")
    assert figures.audit(fig) == []


def test_a_grey_photo_and_one_colour_contours_carry_no_value():
    fig = Figure(figsize=(3, 3))
    ax = figures.show_image(fig.subplots(), np.linspace(0, 1, 64).reshape(8, 8), "photo")
    ax.contour(np.arange(64.0).reshape(8, 8), levels=[10, 30], colors="yellow")
    assert figures.audit(fig) == []


def test_text_under_the_floor_is_caught_at_the_printed_size():
    fig, ax = _plot(xlabel="epoch", ylabel="loss")
    ax.tick_params(labelsize=figures.FLOOR_PT - 1)
    assert any(d.startswith(f"text printed at {figures.FLOOR_PT - 1:g} pt") for d in figures.audit(fig))
    ax.tick_params(labelsize=figures.FLOOR_PT)
    assert figures.audit(fig) == []
    wide, _ = _plot(width=2.5 * figures.PRINT_WIDTH_IN, xlabel="epoch", ylabel="loss")
    assert figures.print_scale(wide) < 0.5
    assert any("the figure prints at" in d and "'epoch'" in d for d in figures.audit(wide)), "10 pt shrunk below 5 pt"


def test_cell_digits_and_annotations_count_as_text():
    fig, ax = _plot(xlabel="epoch", ylabel="loss")
    ax.text(1, 1, "0.93", fontsize=5)
    assert any("'0.93'" in d for d in figures.audit(fig))


def test_ascii_math_must_be_mathtext():
    fig, _ = _plot(xlabel="layer", ylabel="norm", title="x_l = H_l(x_{l-1})")
    assert any("raw ASCII math in 'x_l = H_l(x_{l-1})'" in d for d in figures.audit(fig))
    fig, _ = _plot(xlabel="layer", ylabel="norm", title=r"$x_\ell = H_\ell(x_{\ell-1})$, about 2^5")
    assert any("raw ASCII math" in d for d in figures.audit(fig)), "2^5 is outside the $...$"
    fig, _ = _plot(xlabel="layer", ylabel="norm", title=r"$x_\ell = H_\ell(x_{\ell-1})$")
    assert figures.audit(fig) == []


def test_check_names_every_defect():
    fig = Figure()
    fig.subplots().plot([1, 2])
    with pytest.raises(figures.FigureDefects, match=r"not fit to print:\n  - axes 1 of 1: no x label\n  - axes 1 of 1: no y label"):
        figures.check(fig)


def test_chapter_setup_makes_the_kernel_refuse_a_defective_figure():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        with matplotlib.rc_context():
            chapter.setup()
            draw = shell.display_formatter.formatters["image/png"].lookup_by_type(Figure)
            good, _ = _plot(xlabel="epoch", ylabel="loss")
            assert base64.b64decode(draw(good)).startswith(b"\x89PNG")
            bad, _ = _plot(xlabel="epoch")
            with pytest.raises(figures.FigureDefects, match="no y label"):
                draw(bad)
    finally:
        InteractiveShell.clear_instance()
