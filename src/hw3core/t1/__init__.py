"""T1, convolution arithmetic (report/t1-conv-arithmetic.qmd): output sizes, parameters and
multiplications, each from a closed form checked against a real PyTorch layer.

Split by responsibility rather than one module per part, because parts (b)–(d) all ask the
same two things of different networks (the closed form, and PyTorch's measure of it):
- `layers`: the layer specs and their closed forms — part (a), and the bricks of the rest;
- `networks`: the networks of (b), (c) and the heads of (d), and `build`/`output_shape`;
- `costs`: `measure` on the real modules and the tables of (b), (c), (d);
- `receptive_field`: the receptive field asked in (b), theoretical and effective.
"""
