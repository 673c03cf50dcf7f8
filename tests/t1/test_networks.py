"""The networks of T1 (b) and (c) (hw3core.t1.networks): the shapes each keeps."""

from hw3core.t1 import networks
from hw3core.t1.layers import Conv, SeparableConv


def test_separable_layers_of_part_c_keep_the_shapes_of_part_b():
    standard, separable = networks.standard_convs(), networks.separable_convs()
    assert [type(x) for x in separable] == [Conv, SeparableConv, SeparableConv]
    shape_b = shape_c = networks.INPUT_SHAPE
    for b, c in zip(standard, separable):
        shape_b, shape_c = b.output_shape(shape_b), c.output_shape(shape_c)
        assert shape_b == shape_c
