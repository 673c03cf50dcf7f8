"""T3, U-Net (report/t3-unet.qmd): the U-Net itself, elastic deformation, and transposed
convolution four ways.

Flat, one module per part of the question, because each part is its own subject with its
own code and none is over 300 lines: `unet` — (a), the skip connections and the size table;
`elastic` — (b), the deformation augmentation; `transposed` — (c), the transposed
convolution by hand (`unet` builds its up-convolutions' size formula on it).
"""
