"""P1, a CNN on CIFAR-10 (report/p1-cifar10.qmd): the models of parts (b)-(e), the study that trains them, the prose that depends on their numbers, and their plots."""
