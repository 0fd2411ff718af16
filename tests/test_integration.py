"""lrsched's schedulers inside the trainers people use: the Hugging Face Trainer and Lightning."""

import numpy as np
import pytest

import lrsched
from peers import require

torch = require("torch")
import lrsched.torch as LT  # noqa: E402

STEPS = 20


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


def test_hugging_face_trainer_checkpoint_and_resume(tmp_path):
    transformers = require("transformers")
    require("accelerate")
    from lrsched.transformers import get_scheduler

    class Record(transformers.TrainerCallback):
        def __init__(self):
            self.lrs, self.losses = [], []

        def on_step_begin(self, args, state, control, optimizer=None, **kw):
            self.lrs.append(optimizer.param_groups[0]["lr"])

        def on_log(self, args, state, control, logs=None, **kw):
            if logs and "loss" in logs:
                self.losses.append(logs["loss"])

    def train(resume=None):
        model = Regression()
        opt = torch.optim.SGD(model.parameters(), lr=0.05)
        sched = get_scheduler("cosine", opt, num_warmup_steps=5, num_training_steps=STEPS)
        record = Record()
        args = transformers.TrainingArguments(
            output_dir=str(tmp_path), max_steps=STEPS, per_device_train_batch_size=8, save_strategy="steps",
            save_steps=10, logging_steps=1, report_to=[], use_cpu=True, disable_tqdm=True, seed=0,
        )  # fmt: skip
        trainer = transformers.Trainer(
            model=model, args=args, train_dataset=dataset(), optimizers=(opt, sched), callbacks=[record]
        )
        trainer.train(resume_from_checkpoint=resume)
        return record, sched

    whole, sched = train()
    np.testing.assert_array_equal(whole.lrs, sched.schedules["lr"][0].table(STEPS))
    assert np.mean(whole.losses[-4:]) < np.mean(whole.losses[:4])
    resumed, _ = train(resume=str(tmp_path / "checkpoint-10"))
    assert resumed.lrs == whole.lrs[10:]


def test_lightning_steps_an_lrsched_torch_scheduler_per_step():
    pl = require("pytorch_lightning")

    class Module(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.model = Regression()
            self.lrs, self.losses = [], []

        def training_step(self, batch, i):
            self.lrs.append(self.optimizers().param_groups[0]["lr"])
            loss = self.model(batch["x"], batch["labels"])["loss"]
            self.losses.append(float(loss.detach()))
            return loss

        def configure_optimizers(self):
            opt = torch.optim.SGD(self.parameters(), lr=0.05, momentum=0.9)
            self.sched = LT.OneCycleLR(opt, max_lr=0.1, total_steps=STEPS)
            return {"optimizer": opt, "lr_scheduler": {"scheduler": self.sched, "interval": "step"}}

    module = Module()
    loader = torch.utils.data.DataLoader(dataset(), batch_size=8)
    trainer = pl.Trainer(
        max_steps=STEPS, accelerator="cpu", logger=False, enable_checkpointing=False, enable_progress_bar=False,
        enable_model_summary=False,
    )  # fmt: skip
    trainer.fit(module, loader)
    want = lrsched.from_dict(module.sched.schedules["lr"][0].to_dict()).table(STEPS)
    np.testing.assert_array_equal(module.lrs, want)
    assert np.mean(module.losses[-4:]) < np.mean(module.losses[:4])


def test_hugging_face_trainer_steps_greedy_with_the_eval_metric_as_transformers_greedy():
    """The Trainer steps a metric-driven scheduler at each evaluation (not each update): lrsched's GreedyLR is
    recognised as one, and gives the lrs transformers' own GreedyLR gives in the same run."""
    transformers = require("transformers")
    require("accelerate")
    import lrsched.transformers as LTR

    def train(module, out):
        model = Regression()
        opt = torch.optim.SGD(model.parameters(), lr=0.05)
        sched = module.get_scheduler("greedy", opt, scheduler_specific_kwargs={"patience": 1, "factor": 0.5,
                                                                              "min_lr": 1e-4, "max_lr": 0.2})
        lrs = []

        class Record(transformers.TrainerCallback):
            def on_step_begin(self, args, state, control, optimizer=None, **kw):
                lrs.append(optimizer.param_groups[0]["lr"])

        args = transformers.TrainingArguments(
            output_dir=str(out), max_steps=STEPS, per_device_train_batch_size=8, eval_strategy="steps",
            eval_steps=2, save_strategy="no", metric_for_best_model="loss", report_to=[], use_cpu=True,
            disable_tqdm=True, seed=0,
        )  # fmt: skip
        trainer = transformers.Trainer(model=model, args=args, train_dataset=dataset(), eval_dataset=dataset(16),
                                       optimizers=(opt, sched), callbacks=[Record()])  # fmt: skip
        trainer.train()
        return lrs, sched

    theirs, _ = train(transformers.optimization, tmp := __import__("tempfile").mkdtemp())
    ours, sched = train(LTR, tmp)
    assert isinstance(sched, LTR.GreedyLR) and sched.last_epoch == STEPS // 2  # one step per evaluation
    assert len(set(ours)) > 1  # the metric moved the lr
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0)
