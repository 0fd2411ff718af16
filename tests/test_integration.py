"""lrsched's schedulers inside the trainers people use: the Hugging Face Trainer and Lightning."""

import numpy as np
import pytest

import lrsched
from peers import require

torch = require("torch")
import lrsched.torch as LT  # noqa: E402
from trainers import Regression, dataset  # noqa: E402

STEPS = 20


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


# -- lrsched.torch.Scheduler (the core adapter as a torch LRScheduler) passed as it is ----------------------------

CORE = lrsched.warmup_cosine(peak_value=0.1, warmup_steps=5, total_steps=30, end_value=0.01)
MOMENTUM = lrsched.linear(init_value=0.8, end_value=0.95, steps=30)
LONG = 30


def lightning_run(tmp_path, make_scheduler, steps, monitor=None, resume=None):
    """A Lightning fit of ``steps`` updates (checkpoints every 10): the lr, momentum and metric of each update."""
    import warnings

    pl = require("pytorch_lightning")

    class Module(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.model = Regression()
            self.used, self.metrics = [], []

        def training_step(self, batch, i):
            loss = self.model(batch["x"], batch["labels"])["loss"]
            # a metric that stalls after a few updates, so the plateau reduces (a train_loss would do as well)
            metric = max(1.0, 8.0 - self.global_step)
            self.metrics.append(metric)
            self.log("stalling", metric)
            return loss

        def on_before_optimizer_step(self, optimizer):  # the values the update about to run uses
            g = optimizer.param_groups[0]
            self.used.append((self.global_step, g["lr"], g["momentum"]))

        def configure_optimizers(self):
            opt = torch.optim.SGD(self.parameters(), lr=0.05, momentum=0.9)
            self.sched = make_scheduler(opt)
            return {"optimizer": opt, "lr_scheduler": LT.lightning_scheduler(self.sched, monitor=monitor)}

    module = Module()
    checkpoints = pl.callbacks.ModelCheckpoint(dirpath=tmp_path, every_n_train_steps=10, save_top_k=-1)
    trainer = pl.Trainer(
        max_steps=steps, accelerator="cpu", logger=False, enable_checkpointing=True, callbacks=[checkpoints],
        enable_progress_bar=False, enable_model_summary=False,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*(dataloader|num_workers|LeafSpec).*")
        trainer.fit(module, torch.utils.data.DataLoader(dataset(), batch_size=8), ckpt_path=resume)
    assert [k for k, *_ in module.used] == list(range(steps - len(module.used), steps))  # one entry per update
    return module


def checkpoint(tmp_path, step):
    (path,) = tmp_path.glob(f"*step={step}.ckpt")
    return str(path)


def test_lightning_steps_an_lrsched_scheduler_per_update_and_resumes_from_a_checkpoint(tmp_path):
    make = lambda opt: LT.Scheduler(opt, {"lr": CORE, "momentum": MOMENTUM})  # noqa: E731
    whole = lightning_run(tmp_path, make, LONG)
    want = [(k, CORE.at(k), MOMENTUM.at(k)) for k in range(LONG)]
    assert whole.used == want
    assert whole.sched.last_epoch == LONG
    resumed = lightning_run(tmp_path / "resumed", make, LONG, resume=checkpoint(tmp_path, 10))
    assert resumed.used == want[10:]  # no lag, no replay


def test_lightning_feeds_the_monitored_metric_to_an_lrsched_plateau_and_resumes(tmp_path):
    plateau = lrsched.plateau(factor=0.5, patience=2)
    make = lambda opt: LT.Scheduler(opt, {"lr": CORE, "momentum": MOMENTUM}, plateau=plateau)  # noqa: E731
    whole = lightning_run(tmp_path, make, LONG, monitor="stalling")

    def replay(metrics, start, state=None):
        """The core adapter fed the same metrics, on an optimizer of plain dicts: the lr of each update."""

        class Opt:
            param_groups = [{"lr": 0.05, "momentum": 0.9}]

        core = lrsched.Scheduler(Opt(), {"lr": CORE, "momentum": MOMENTUM}, plateau=plateau)
        if state is not None:
            core.load_state_dict(state)
        assert core.last_step == start
        out = []
        for k, m in zip(range(start, LONG), metrics):
            out.append((k, core.get_last_lr()[0], core.get_last_values("momentum")[0]))
            core.observe(m)
            core.step()
        return out

    assert whole.used == replay(whole.metrics, 0)
    lrs = [lr for _, lr, _ in whole.used]
    assert any(lr < CORE.at(k) for k, lr in enumerate(lrs))  # the plateau reduced the lr after the warmup
    assert [m for _, _, m in whole.used] == [MOMENTUM.at(k) for k in range(LONG)]  # momentum is not reduced
    path = checkpoint(tmp_path, 10)
    (state,) = torch.load(path, weights_only=False)["lr_schedulers"]
    assert state["last_step"] == 10  # the step of the next update (Lightning saves before step(metric))
    resumed = lightning_run(tmp_path / "resumed", make, LONG, monitor="stalling", resume=path)
    assert resumed.used[0] == whole.used[10]  # no lag
    assert resumed.used == replay(resumed.metrics, 10, state)


def test_hugging_face_trainer_steps_an_lrsched_scheduler_and_resumes(tmp_path):
    transformers = require("transformers")
    require("accelerate")
    weight_decay = lrsched.linear(init_value=0.0, end_value=0.01, steps=STEPS)

    def train(resume=None):
        model = Regression()
        opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        sched = LT.Scheduler(opt, {"lr": CORE, "weight_decay": weight_decay})
        used = []

        class Record(transformers.TrainerCallback):
            def on_step_begin(self, args, state, control, optimizer=None, **kw):
                g = optimizer.param_groups[0]
                used.append((state.global_step, g["lr"], g["weight_decay"]))

        args = transformers.TrainingArguments(
            output_dir=str(tmp_path), max_steps=STEPS, per_device_train_batch_size=8, save_strategy="steps",
            save_steps=10, report_to=[], use_cpu=True, disable_tqdm=True, seed=0,
        )  # fmt: skip
        trainer = transformers.Trainer(model=model, args=args, train_dataset=dataset(), optimizers=(opt, sched),
                                       callbacks=[Record()])  # fmt: skip
        trainer.train(resume_from_checkpoint=resume)
        return used, sched

    whole, sched = train()
    want = [(k, CORE.at(k), weight_decay.at(k)) for k in range(STEPS)]
    assert whole == want and sched.last_epoch == STEPS
    resumed, _ = train(resume=str(tmp_path / "checkpoint-10"))
    assert resumed == want[10:]


def test_accelerate_prepare_steps_an_lrsched_scheduler_once_per_update():
    accelerate = require("accelerate")
    from accelerate.state import AcceleratorState, GradientState

    try:
        accelerator = accelerate.Accelerator(cpu=True, gradient_accumulation_steps=2)
        model = Regression()
        opt = torch.optim.SGD(model.parameters(), lr=0.05)
        sched = LT.Scheduler(opt, CORE)
        loader = torch.utils.data.DataLoader(dataset(), batch_size=4)
        model, opt, loader, prepared = accelerator.prepare(model, opt, loader, sched)
        assert prepared.scheduler is sched
        used = []
        for batch in loader:  # 16 batches: 8 updates
            with accelerator.accumulate(model):
                loss = model(batch["x"], batch["labels"])["loss"]
                accelerator.backward(loss)
                if accelerator.sync_gradients:
                    used.append(opt.param_groups[0]["lr"])
                opt.step()
                prepared.step()
                opt.zero_grad()
        assert used == [CORE.at(k) for k in range(8)] and sched.last_epoch == 8
    finally:
        AcceleratorState._reset_state(True)
        GradientState._reset_state()
