"""The image + text DenseNet of T2 question 4 (hw3core.t2.multimodal): torchvision's block, gradients, shapes."""

import torch

from hw3core import figures
from hw3core.t2 import families, multimodal
from hw3core.training import parameter_count


def test_our_dense_block_equals_torchvisions():
    ours = multimodal.DenseBlock(64, 6, 32)
    theirs = families.build("densenet121", device="cpu").features.denseblock1
    assert parameter_count(ours) == parameter_count(theirs)
    assert ours(torch.zeros(2, 64, 8, 8)).shape == (2, ours.out_channels, 8, 8) == (2, 256, 8, 8)
    text = multimodal.DenseBlock(16, 3, 8, dims=1)
    assert text(torch.zeros(2, 16, 5)).shape == (2, 16 + 3 * 8, 5)


def test_multimodal_model_trains_both_branches():
    torch.manual_seed(0)
    model = multimodal.ImageTextDenseNet(num_classes=3, vocab_size=50)
    logits = model(torch.randn(2, 3, 32, 32), torch.randint(1, 50, (2, 7)))
    assert logits.shape == (2, 3)
    logits.sum().backward()
    assert model.embed.weight.grad.abs().sum() > 0
    assert model.image_trunk.conv0.weight.grad.abs().sum() > 0


def test_multimodal_shapes_and_drawing():
    with torch.device("meta"):
        model = multimodal.ImageTextDenseNet(num_classes=14, vocab_size=100)
    shapes = multimodal.multimodal_shapes(model)
    image, text = shapes["image trunk"], shapes["text vector"]
    assert image == (512, 7, 7)
    assert shapes["fusion input"] == (image[0] + text[0], 7, 7)
    assert shapes["fusion block"][0] == shapes["fusion input"][0] + 16 * 32
    assert shapes["classifier"] == (14,)
    fig = multimodal.multimodal_figure()
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    # every map channels last (H×W×C, as T1 and the assignment write it), none channels first
    embedding, words = shapes["embedding"], shapes["text block"]
    for written in ["224×224×3", f"7×7×{image[0]}", f"{embedding[0]}×{embedding[1]}", f"{words[1]}×{words[0]}",
                    f"7×7×{text[0]}", f"7×7×{image[0] + text[0]}", f"7×7×{shapes['fusion block'][0]}"]:
        assert written in texts
    assert "3×224×224" not in texts and not any(f"{c}×7×7" in texts for c in (image[0], text[0], image[0] + text[0]))
    assert figures.audit(fig) == []


def test_multimodal_parameters_are_the_parts_of_a_real_model():
    table = multimodal.multimodal_parameters(num_classes=5, vocab_size=300).set_index("part")
    parts = table.drop(index="total")["parameters"]
    assert parts.sum() == table.loc["total", "parameters"]
    real = multimodal.ImageTextDenseNet(num_classes=5, vocab_size=300)
    assert table.loc["total", "parameters"] == sum(p.numel() for p in real.parameters())
    assert table.loc["embed", "parameters"] == 300 * real.embed.embedding_dim
