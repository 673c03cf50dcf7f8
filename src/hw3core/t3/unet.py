"""The U-Net of Ronneberger et al. (2015), as drawn in the paper's figure 1: T3 (a), its skips.

Unpadded ("valid") 3x3 convolutions, 2x2 max pooling, 2x2 up-convolutions (transposed
convolutions, stride 2) that halve the channels, and skip connections that concatenate
the centre-cropped encoder map with the upsampled decoder map. Cropping is needed because
every valid convolution loses a border pixel on each side. The size table is computed
both in closed form and from a forward pass of this module, so the chapter can show why
a 572 x 572 tile gives a 388 x 388 segmentation.
"""

from __future__ import annotations

import pandas as pd
import torch
from torch import nn

from ..t1.layers import conv_output_size
from ..training import parameter_count
from .transposed import output_size as transposed_output_size


def double_conv(in_channels: int, out_channels: int) -> nn.Sequential:
    """Two unpadded 3x3 convolutions, each followed by ReLU."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3), nn.ReLU(inplace=True),
        nn.Conv2d(out_channels, out_channels, 3), nn.ReLU(inplace=True),
    )


def center_crop(x: torch.Tensor, size: int) -> torch.Tensor:
    """The central size x size window of a feature map (the paper's 'copy and crop')."""
    top = (x.shape[-2] - size) // 2
    left = (x.shape[-1] - size) // 2
    return x[..., top:top + size, left:left + size]


class UNet(nn.Module):
    """Contracting path of `depth` poolings, expanding path of `depth` up-convolutions."""

    def __init__(self, in_channels: int = 1, classes: int = 2, base: int = 64, depth: int = 4) -> None:
        super().__init__()
        widths = [base * 2**level for level in range(depth + 1)]
        self.down = nn.ModuleList(double_conv(c_in, c_out) for c_in, c_out in zip([in_channels, *widths], widths))
        self.pool = nn.MaxPool2d(2)
        self.up = nn.ModuleList(
            nn.ConvTranspose2d(widths[i + 1], widths[i], 2, stride=2) for i in reversed(range(depth))
        )
        self.dec = nn.ModuleList(double_conv(2 * widths[i], widths[i]) for i in reversed(range(depth)))
        self.head = nn.Conv2d(base, classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for block in self.down[:-1]:
            x = block(x)
            skips.append(x)
            x = self.pool(x)
        x = self.down[-1](x)
        for up, dec, skip in zip(self.up, self.dec, reversed(skips)):
            x = up(x)
            x = dec(torch.cat([center_crop(skip, x.shape[-1]), x], dim=1))
        return self.head(x)


def size_table(input_size: int = 572, depth: int = 4, base: int = 64) -> pd.DataFrame:
    """Per level: the encoder map that is copied, the up-convolved decoder map it is cropped to.

    Closed form: two valid 3x3 convolutions take n to n - 4, pooling halves, an
    up-convolution doubles. The decoder side needs the deeper levels first, so sizes are
    computed down the contracting path, then up the expanding path.
    """
    encoder = []
    size = input_size
    for level in range(depth + 1):
        size = conv_output_size(conv_output_size(size, 3), 3)
        encoder.append(size)
        size = conv_output_size(size, 2, stride=2)
    rows = []
    size = encoder[-1]
    for level in reversed(range(depth)):
        upsampled = transposed_output_size(size, 2, stride=2)
        rows.append(
            {
                "level": level + 1,
                "channels": base * 2**level,
                "encoder map": encoder[level],
                "up-convolved": upsampled,
                "cropped per side": (encoder[level] - upsampled) // 2,
                "decoder output": (size := conv_output_size(conv_output_size(upsampled, 3), 3)),
            }
        )
    return pd.DataFrame(rows[::-1])


def measured_size_table(input_size: int = 572, depth: int = 4, base: int = 64) -> pd.DataFrame:
    """The same table read from forward hooks on a real UNet (meta device: shapes only)."""
    with torch.device("meta"):
        model = UNet(base=base, depth=depth)
    seen: dict[str, list[tuple[int, ...]]] = {"down": [], "up": [], "dec": []}
    for name in seen:
        for block in getattr(model, name):
            block.register_forward_hook(lambda _m, _i, out, name=name: seen[name].append(tuple(out.shape[1:])))
    model(torch.zeros(1, 1, input_size, input_size, device="meta"))
    rows = []
    for k, level in enumerate(reversed(range(depth))):
        copied, up, dec = seen["down"][level], seen["up"][k], seen["dec"][k]
        rows.append(
            {
                "level": level + 1,
                "channels": copied[0],
                "encoder map": copied[-1],
                "up-convolved": up[-1],
                "cropped per side": (copied[-1] - up[-1]) // 2,
                "decoder output": dec[-1],
            }
        )
    return pd.DataFrame(rows[::-1])


def paper_unet_facts(input_size: int = 572) -> dict[str, int]:
    """Counts the chapter quotes, read from the module: conv layers, parameters, output size."""
    with torch.device("meta"):
        model = UNet()
        out = model(torch.zeros(1, 1, input_size, input_size))
    convs = sum(isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)) for m in model.modules())
    return {
        "conv layers": convs,
        "parameters": parameter_count(model),
        "output size": out.shape[-1],
        "input size": input_size,
    }
