"""hw3core: everything the HW3 book computes, trains, tabulates and draws.

Chapters stay thin: each cell calls one function from here, so every number in the
prose comes from code that the tests cross-check against PyTorch.
"""

__version__ = "0.1.0"
