"""The gradient-flow probe of T2 question 2 (hw3core.t2.gradient_flow)."""


from hw3core import figures
from hw3core.t2 import gradient_flow


def test_dense_connections_keep_the_gradient_where_plain_ones_lose_it():
    flow = gradient_flow.gradient_flow(depth=15, width=16, growth=8)
    assert flow["plain"].iloc[0] < 1e-3
    assert 0.1 < flow["dense"].iloc[0] < 10
    assert flow["residual"].iloc[0] >= 1
    assert figures.audit(gradient_flow.gradient_flow_figure(flow)) == []
