"""The small model and data the trainer integration tests train (HF Trainer, Lightning, DeepSpeed): one
definition, so every trainer test sees the same regression.  Import it after ``require("torch")``."""

import torch


class Regression(torch.nn.Module):
    """y = 3 x0 - x1: a model a few steps of SGD visibly improve."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.linear = torch.nn.Linear(2, 1)

    def forward(self, x, labels=None):
        y = self.linear(x).squeeze(-1)
        return {"loss": torch.nn.functional.mse_loss(y, labels), "logits": y}


def dataset(n=64):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(n, 2, generator=g)
    return [{"x": x[i], "labels": 3 * x[i, 0] - x[i, 1]} for i in range(n)]
