"""P2, cross-entropy vs. triplet loss (report/p2-losses.qmd): the triplet machinery, the three training regimes, their prose and plots."""
