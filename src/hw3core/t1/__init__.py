"""T1, convolution arithmetic (report/t1-conv-arithmetic.qmd): output sizes, parameters and FLOPs, each from a closed form checked against a real PyTorch layer."""
