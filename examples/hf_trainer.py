"""A transformers Trainer driven by an lrsched scheduler.

``lrsched.transformers.get_scheduler`` has transformers' signature and
values; here the Trainer gets it through ``optimizers=(optimizer, scheduler)``
and trains a tiny regression model on CPU.  The lrs the Trainer logs are the
schedule's values.  Without transformers installed, the script says so and
exits.

Run: python examples/hf_trainer.py [--steps N]
"""

import argparse
import sys
import tempfile

try:
    import torch
    import transformers
except ImportError as exc:
    print(f"skipped: {exc.name} is not installed (pip install transformers \"torch==2.13.*\", the CPU build)")
    sys.exit(0)

import lrsched.transformers

parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, default=60)
args = parser.parse_args()
steps = args.steps


class Data(torch.utils.data.Dataset):
    def __len__(self):
        return 256

    def __getitem__(self, i):
        x = torch.linspace(-1, 1, 4) * (i % 17) / 17
        return {"x": x, "labels": x.sum(dim=0, keepdim=True)}


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = torch.nn.Linear(4, 1)

    def forward(self, x, labels=None):
        out = self.layer(x)
        return {"loss": torch.nn.functional.mse_loss(out, labels), "logits": out}


class RecordLR(transformers.TrainerCallback):
    def __init__(self):
        self.lrs = []

    def on_step_begin(self, args, state, control, optimizer=None, **kwargs):
        self.lrs.append(optimizer.param_groups[0]["lr"])


torch.manual_seed(0)
model = Model()
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
scheduler = lrsched.transformers.get_scheduler("cosine", optimizer, num_warmup_steps=steps // 10,
                                               num_training_steps=steps)  # fmt: skip
record = RecordLR()
with tempfile.TemporaryDirectory() as out:
    trainer = transformers.Trainer(
        model=model,
        args=transformers.TrainingArguments(out, max_steps=steps, per_device_train_batch_size=8, report_to=[],
                                            logging_steps=steps, save_strategy="no", use_cpu=True,
                                            disable_tqdm=True),  # fmt: skip
        train_dataset=Data(),
        optimizers=(optimizer, scheduler),
        callbacks=[record],
    )
    trainer.train()

want = scheduler.schedules["lr"][0].table(steps).tolist()
assert record.lrs == want, (record.lrs[:5], want[:5])
print(f"Trainer ran {steps} steps with lrsched's cosine: every lr as scheduled (peak {max(want):.3g})")
