"""T2, DenseNet (report/t2-densenet.qmd): dense connectivity measured on torchvision's models, and the image-text DenseNet of the multimodal question."""
