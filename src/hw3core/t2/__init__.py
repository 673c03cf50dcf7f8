"""T2, DenseNet (report/t2-densenet.qmd): dense connectivity measured on torchvision's models,
and the image-text DenseNet of the multimodal question.

One module per thing the chapter measures, which here is also one per question (question 3,
when to use DenseNet, is prose only):
- `connectivity`: growth rate, bottleneck, compression, channels per layer — question 1;
- `families`: parameters, multiply-adds and top-1 of the DenseNet and ResNet families — the
  parameter efficiency of question 1 and the computational advantage of question 2;
- `gradient_flow`: the gradient reaching each depth, plain, residual and dense — question 2;
- `multimodal`: the image + text DenseNet, its shapes and its drawing — question 4;
- `text`: the sentence that sets the families side by side at equal accuracy — question 2.
"""
