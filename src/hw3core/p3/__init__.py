"""P3, transfer learning on Oxford 102 Flowers (report/p3-transfer.qmd): the data, the backbones and their pretrained weights, the study, its prose and plots."""
