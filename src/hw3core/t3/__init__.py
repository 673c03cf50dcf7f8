"""T3, U-Net (report/t3-unet.qmd): the U-Net itself, transposed convolution four ways, and elastic deformation."""
