"""The from-scratch transposed convolution against torch.nn.functional.conv_transpose2d."""

import itertools

import numpy as np
import pytest
import torch

from hw3core import figures
from hw3core.t3 import transposed as tc

CASES = [
    # (input H, W), (kernel kh, kw), stride, padding, output_padding, (C_in, C_out)
    ((2, 2), (2, 2), 1, 0, 0, None),
    ((2, 2), (2, 2), 2, 0, 0, None),
    ((3, 4), (3, 3), 2, 1, 1, None),
    ((4, 3), (3, 2), 3, 1, 2, None),
    ((5, 5), (1, 1), 2, 0, 1, None),
    ((3, 3), (4, 4), 2, 3, 0, None),
    ((2, 3), (3, 3), 1, 1, 0, (2, 3)),
    ((4, 4), (2, 2), 2, 0, 1, (3, 2)),
    ((3, 5), (5, 3), 3, 2, 2, (1, 4)),
]


def random_case(hw, k, channels, seed):
    rng = np.random.default_rng(seed)
    if channels is None:
        return rng.integers(-5, 6, hw).astype(float), rng.integers(-5, 6, k).astype(float)
    c_in, c_out = channels
    return rng.standard_normal((c_in, *hw)), rng.standard_normal((c_in, c_out, *k))


def torch_reference(x, w, stride, padding, output_padding):
    """Independent of tc.pytorch_conv_transpose2d: always the batched multi-channel call."""
    x4 = torch.from_numpy(x.reshape(1, -1, *x.shape[-2:]))
    w4 = torch.from_numpy(w.reshape(x4.shape[1], -1, *w.shape[-2:]))
    out = torch.nn.functional.conv_transpose2d(x4, w4, stride=stride, padding=padding, output_padding=output_padding)
    return out[0].numpy().reshape(out.shape[1:] if x.ndim == 3 else out.shape[2:])


@pytest.mark.parametrize("hw,k,stride,padding,output_padding,channels", CASES)
def test_scatter_definition_matches_pytorch(hw, k, stride, padding, output_padding, channels):
    x, w = random_case(hw, k, channels, seed=sum(hw) + stride)
    expected = torch_reference(x, w, stride, padding, output_padding)
    ours = tc.conv_transpose2d(x, w, stride, padding, output_padding)
    assert ours.shape == expected.shape
    np.testing.assert_allclose(ours, expected, atol=1e-10)
    np.testing.assert_allclose(tc.pytorch_conv_transpose2d(x, w, stride, padding, output_padding), expected)
    assert ours.shape[-1] == tc.output_size(hw[1], k[1], stride, padding, output_padding)


@pytest.mark.parametrize("hw,k,stride,padding,output_padding,channels",
                         [c for c in CASES if c[3] <= min(c[1]) - 1])
def test_zero_insertion_view_matches_pytorch(hw, k, stride, padding, output_padding, channels):
    x, w = random_case(hw, k, channels, seed=7 * stride + padding)
    view = tc.zero_insertion(x, w, stride, padding, output_padding)
    np.testing.assert_allclose(view.output, torch_reference(x, w, stride, padding, output_padding), atol=1e-10)
    inserted = view.upsampled[..., ::stride, ::stride]
    np.testing.assert_array_equal(inserted, x)
    assert np.count_nonzero(view.upsampled) == np.count_nonzero(x)


def test_each_partial_map_is_one_element_times_the_kernel_and_nothing_else():
    x, w = random_case((3, 2), (2, 3), None, seed=1)
    stride = 2
    parts = tc.partial_outputs(x, w, stride)
    for i, j in itertools.product(range(3), range(2)):
        block = parts[i, j, i * stride:i * stride + 2, j * stride:j * stride + 3]
        np.testing.assert_array_equal(block, x[i, j] * w)
        assert np.abs(parts[i, j]).sum() == pytest.approx(np.abs(block).sum())


@pytest.mark.parametrize("size,stride,padding", [(3, 1, 0), (4, 2, 0), (6, 2, 1), (7, 3, 2)])
def test_transposed_convolution_is_the_transpose_of_the_convolution_matrix(size, stride, padding):
    rng = np.random.default_rng(size)
    w = rng.integers(-3, 4, (3, 3)).astype(float)
    matrix = tc.conv_matrix(w, (size, size), stride, padding)
    y = rng.standard_normal((size, size))
    conv = torch.nn.functional.conv2d(torch.from_numpy(y)[None, None], torch.from_numpy(w)[None, None],
                                      stride=stride, padding=padding)[0, 0].numpy()
    np.testing.assert_allclose(matrix @ y.ravel(), conv.ravel(), atol=1e-10)
    x = rng.standard_normal(conv.shape)
    output_padding = size - tc.output_size(conv.shape[0], 3, stride, padding)
    back = tc.conv_transpose2d(x, w, stride, padding, output_padding)
    np.testing.assert_allclose(back.ravel(), matrix.T @ x.ravel(), atol=1e-10)


def test_invalid_arguments_are_rejected_with_a_reason():
    x, w = np.ones((2, 2)), np.ones((2, 2))
    with pytest.raises(ValueError, match="output_padding"):
        tc.conv_transpose2d(x, w, stride=1, output_padding=1)
    with pytest.raises(ValueError, match="padding <= kernel - 1"):
        tc.zero_insertion(x, w, stride=1, padding=2)
    with pytest.raises(ValueError, match="leaves no output"):
        tc.conv_transpose2d(x, w, stride=1, padding=2)
    with pytest.raises(ValueError, match="C_in"):
        tc.conv_transpose2d(np.ones((2, 3, 3)), np.ones((3, 1, 2, 2)))


def test_latex_helpers_show_the_numbers_of_the_computation():
    x = w = np.array([[1, 2], [3, 4]])
    assert tc.latex_matrix(np.array([[1, 2], [3, 4]])) == r"\begin{bmatrix}1 & 2 \\ 3 & 4\end{bmatrix}"
    assert tc.latex_matrix(np.array([[0.5]])) == r"\begin{bmatrix}0.5\end{bmatrix}"
    text = tc.steps_latex(x, w, stride=2)
    assert text.count("$$") == 2 * 3
    assert tc.latex_matrix(tc.conv_transpose2d(x, w, 2)) in text


def test_figures_are_fit_to_print_and_stride_one_inserts_no_zeros():
    x = w = np.array([[1, 2], [3, 4]])
    assert figures.audit(tc.plot_scatter_steps(x, w)) == []
    zeros = tc.plot_zero_insertion(x, w, strides=(1, 2, 3))
    assert figures.audit(zeros) == []
    assert [ax.get_title() for ax in zeros.axes[::3]] == [
        "stride 1: no zeros inserted, padded by 1",
        "stride 2: 1 zero inserted between elements, padded by 1",
        "stride 3: 2 zeros inserted between elements, padded by 1",
    ]


def evaluate(products: str) -> float:
    """The sum written in a contribution-table cell, e.g. '1·4 + 2·3' -> 10."""
    return sum(float(a) * float(b) for a, b in (term.split("·") for term in products.split(" + ") if term))


@pytest.mark.parametrize("stride", [1, 2, 3])
def test_contribution_table_products_sum_to_each_output_value(stride):
    x, w = random_case((2, 3), (3, 2), None, seed=stride)
    table = tc.contribution_table(x, w, stride)
    assert len(table) == tc.conv_transpose2d(x, w, stride).size
    for products, value in zip(table["products x[i,j]·W[a,b]"], table["value"]):
        assert evaluate(products) == pytest.approx(value)
    count = sum(len([t for t in p.split(" + ") if t]) for p in table["products x[i,j]·W[a,b]"])
    assert count == x.size * w.size


def test_kernel_equal_to_stride_gives_each_output_cell_one_product():
    table = tc.contribution_table(np.ones((3, 3)), np.ones((2, 2)), stride=2)
    assert (table["products x[i,j]·W[a,b]"].str.count(r"\+") == 0).all()
