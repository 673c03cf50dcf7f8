"""Sentences of T2 that follow a table: DenseNet against ResNet at equal accuracy.

"At equal accuracy DenseNet needs fewer parameters and less compute" is the paper's claim
(its Fig. 3); torchvision's weights need not bear it out everywhere. `equal_accuracy` reads
the family table and says, model by model, on which side of the ResNet line each DenseNet
falls, so the sentence holds for whatever the table holds.
"""

from __future__ import annotations

import re

import pandas as pd

from ..prose import listing
from .families import TOP1, cost_at_accuracy

# column: (the amount's word, what is counted)
UNITS = {"parameters (M)": ("میلیون", "پارامتر"), "multiply-adds (G)": ("میلیارد", "ضرب‌وجمع")}


def model_name(name: str) -> str:
    """torchvision's builder name as the papers write it: densenet121 -> DenseNet-121."""
    family, size = re.fullmatch(r"([a-z]+)(\d+)", name).groups()
    return {"densenet": "DenseNet", "resnet": "ResNet"}[family] + f"-{size}"


def _dearer(table: pd.DataFrame, dense: pd.Series, column: str, line: float) -> str:
    """One DenseNet that needs more than the ResNet line, set beside the next more accurate ResNet."""
    resnet = table[(table["family"] == "ResNet") & (table[TOP1] >= dense[TOP1])].sort_values(TOP1).iloc[0]
    amount, noun = UNITS[column]
    return (
        f"{model_name(dense['model'])} با {dense[column]:.2f} {amount} {noun} به دقت {dense[TOP1]:.2f} درصد می‌رسد، "
        f"در حالی که {model_name(resnet['model'])} با {resnet[column]:.2f} {amount} به {resnet[TOP1]:.2f} درصد می‌رسد "
        f"و خط ResNetها در دقت {dense[TOP1]:.2f} درصد تنها {line:.2f} {amount} می‌خواهد"
    )


def _clause(table: pd.DataFrame, column: str, also: str = "") -> str:
    """Which DenseNets need less of `column` than the ResNet line at their accuracy, and, with
    the numbers that show it, which more."""
    dense = table[table["family"] == "DenseNet"].sort_values(TOP1)
    lines = {row["model"]: cost_at_accuracy(table, "ResNet", row[TOP1], column) for _, row in dense.iterrows()}
    compared = dense[[lines[m] is not None for m in dense["model"]]]
    cheaper = [model_name(row["model"]) for _, row in compared.iterrows() if row[column] < lines[row["model"]]]
    dearer = [_dearer(table, row, column, lines[row["model"]]) for _, row in compared.iterrows() if row[column] >= lines[row["model"]]]
    noun = UNITS[column][1]
    if not dearer:
        return f"هر {len(cheaper)} DenseNet {noun} کمتری{also} از ResNetها می‌خواهند"
    if not cheaper:
        return f"هیچ DenseNetی {noun} کمتری{also} از ResNetها نمی‌خواهد: {listing(dearer)}"
    return f"{listing(cheaper)} {noun} کمتری{also} از ResNetها می‌خواهند، ولی {listing(dearer)}"


def equal_accuracy(table: pd.DataFrame) -> str:
    """DenseNet against ResNet at equal accuracy, in parameters and in multiply-adds."""
    return (
        "اگر پارامترها و ضرب‌وجمع‌های ResNetها را بر حسب دقت میان دو مدل هم‌خانوادهٔ پیرامون هر دقت "
        f"به‌طور خطی درون‌یابی کنیم، در دقت برابر {_clause(table, 'parameters (M)')}؛ "
        f"{_clause(table, 'multiply-adds (G)', also=' هم')}."
    )
