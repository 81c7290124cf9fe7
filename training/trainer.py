"""The ArcFace training loop: backbone + margin head, validation every epoch, checkpoints, resume.

Django-free. `train()` prepares the dataset (detection once, cached chips), evaluates the
starting model (epoch 0), trains, validates with `recognition.ml.metrics.evaluate_embeddings`
(the code behind `evaluate_faces`), and writes two checkpoints: `output` (the best epoch by
validation, epoch 0 included, so it is never worse on validation than the starting model)
and `<output stem>.last.pt` (every epoch, resumable).
"""

from __future__ import annotations

import math
import os
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import numpy.typing as npt
import torch
import torch.nn.functional as F  # noqa: N812
from tqdm import tqdm

from recognition.ml.backbones import (
    BackboneSpec,
    backbone_spec,
    build_backbone,
    freeze_except_last_stages,
    set_frozen_batchnorm_eval,
)
from recognition.ml.checkpoint import checkpoint_metadata, read_checkpoint
from recognition.ml.detection import FaceDetector
from recognition.ml.device import resolve_device
from recognition.ml.metrics import evaluate_embeddings
from training.arcface import ArcFaceHead
from training.config import TrainingConfig
from training.data import DatasetError, FaceDataset, prepare_dataset, split_by_identity

Log = Callable[[str], object]


@dataclass
class TrainingResult:
    best_path: Path
    last_path: Path
    best_epoch: int
    epochs_run: int
    stopped_early: bool
    metrics: list[dict[str, Any]]
    identities: int
    train_images: int
    val_images: int
    dataset_fingerprint: str = ""
    without_face: list[str] = field(default_factory=list)
    cached: int = 0
    seconds: float = 0.0

    @property
    def best_metrics(self) -> dict[str, Any]:
        return next(m for m in self.metrics if m["epoch"] == self.best_epoch)


def last_path_for(output: Path) -> Path:
    return output.with_name(f"{output.stem}.last{output.suffix or '.pt'}")


def default_cache_dir(output: Path) -> Path:
    return output.parent / ".chip-cache"


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)  # third-party code may use the global generator
    torch.manual_seed(seed)


def _atomic_save(data: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    os.close(fd)
    try:
        torch.save(data, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def augment(batch: torch.Tensor, config: TrainingConfig, generator: torch.Generator) -> torch.Tensor:
    """Random flip, shift (crop jitter) and brightness/contrast/saturation on (N, 3, h, w) 0..255 floats."""
    n, _, height, width = batch.shape
    if config.flip:
        flip = torch.rand(n, generator=generator) < 0.5
        batch = torch.where(flip.view(n, 1, 1, 1), batch.flip(3), batch)
    pad = round(config.crop_jitter * max(height, width))
    if pad > 0:
        padded = F.pad(batch, (pad, pad, pad, pad), mode="replicate")
        offsets = torch.randint(0, 2 * pad + 1, (n, 2), generator=generator).tolist()
        batch = torch.stack(
            [padded[i, :, dy : dy + height, dx : dx + width] for i, (dy, dx) in enumerate(offsets)]
        )
    jitter = config.color_jitter
    if jitter > 0:
        factors = 1.0 + (torch.rand(n, 3, generator=generator) * 2.0 - 1.0) * jitter
        brightness, contrast, saturation = (factors[:, k].view(n, 1, 1, 1) for k in range(3))
        batch = batch * brightness
        gray = (batch * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1, keepdim=True)
        batch = (batch - gray.mean(dim=(2, 3), keepdim=True)) * contrast + gray.mean(dim=(2, 3), keepdim=True)
        gray = (batch * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1, keepdim=True)
        batch = (batch - gray) * saturation + gray
    return batch.clamp(0.0, 255.0)


def _chips_to_nchw(chips: npt.NDArray[np.uint8]) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(chips)).permute(0, 3, 1, 2).float()


class Trainer:
    """One training run; `run()` returns a TrainingResult. See `train()`."""

    def __init__(
        self,
        dataset: FaceDataset,
        *,
        config: TrainingConfig,
        output: Path,
        resume: dict[str, Any] | None = None,
        log: Log = print,
        progress_file: IO[str] | None = None,
        show_progress: bool = True,
    ) -> None:
        self.dataset = dataset
        self.config = config
        self.output = output
        self.last_path = last_path_for(output)
        self.log = log
        self.progress_file = progress_file
        self.show_progress = show_progress
        self.device = resolve_device(config.device)
        self.use_amp = config.amp and self.device.startswith("cuda")
        self.spec: BackboneSpec = backbone_spec(config.backbone)
        self.embedding_size = config.effective_embedding_size
        # A head-only warm-up protects pretrained features; from scratch there are none to protect.
        pretrained = config.pretrained and self.spec.pretrained_available
        self.head_warmup = config.head_warmup_epochs if pretrained else 0

        self.train_idx, self.val_idx = split_by_identity(
            dataset.labels, val_split=config.val_split, seed=config.seed
        )
        if len(self.val_idx) < 2:
            raise DatasetError(
                f"Validation needs at least 2 images, got {len(self.val_idx)} with val_split="
                f"{config.val_split}: add photos (identities with 2+ images) or raise val_split."
            )
        seed_everything(config.seed)
        self.backbone = build_backbone(
            config.backbone,
            embedding_size=self.embedding_size,
            pretrained=config.pretrained and resume is None,
        ).to(self.device)
        self.head = ArcFaceHead(
            self.embedding_size,
            dataset.identities,
            margin=config.margin,
            scale=config.scale,
            easy_margin=config.easy_margin,
        ).to(self.device)
        if config.imprint_head and resume is None:
            self.imprint_head()
        if config.freeze_backbone:
            trainable, frozen = freeze_except_last_stages(self.backbone, config.backbone)
            log(f"Backbone frozen except its last stages: {trainable:,} trainable, {frozen:,} frozen.")
        backbone_params = [p for p in self.backbone.parameters() if p.requires_grad]
        groups = [
            {"params": backbone_params, "lr": config.effective_lr},
            {"params": list(self.head.parameters()), "lr": config.effective_lr * config.head_lr_scale},
        ]
        self.optimizer: torch.optim.Optimizer
        if config.optimizer == "sgd":
            self.optimizer = torch.optim.SGD(
                groups,
                lr=config.effective_lr,
                momentum=config.momentum,
                weight_decay=config.weight_decay,
                nesterov=True,
            )
        else:
            self.optimizer = torch.optim.AdamW(
                groups, lr=config.effective_lr, weight_decay=config.weight_decay
            )
        n_train = len(self.train_idx)
        self.steps_per_epoch = max(1, math.ceil(n_train / config.batch_size))
        if n_train % config.batch_size == 1 and n_train > 1:
            self.steps_per_epoch -= 1  # a last batch of one sample is dropped (batch norm)
        total = config.epochs * self.steps_per_epoch
        warmup = min(total - 1, round(config.warmup_epochs * self.steps_per_epoch))

        def schedule(step: int) -> float:
            if step < warmup:
                return (step + 1) / (warmup + 1)
            progress = (step - warmup) / max(1, total - warmup)
            return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))

        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, schedule)
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.use_amp)
        self.metrics: list[dict[str, Any]] = []
        self.start_epoch = 1
        self.best_epoch = 0
        self.best_score: tuple[float, ...] | None = None
        self.best_threshold: float | None = None
        if resume is not None:
            self._restore(resume)

    def imprint_head(self) -> None:
        """Set each class centre to the normalised mean embedding of its training images."""
        embeddings = F.normalize(self._embed(self.dataset.chips[self.train_idx]), dim=1)
        labels = torch.as_tensor(self.dataset.labels[self.train_idx], device=self.device)
        centres = torch.zeros_like(self.head.weight)
        centres.index_add_(0, labels, embeddings.to(centres.dtype))
        with torch.no_grad():
            self.head.weight.copy_(F.normalize(centres, dim=1))

    # -- state --------------------------------------------------------------------------------

    def _restore(self, data: dict[str, Any]) -> None:
        if data.get("dataset_fingerprint") != self.dataset.fingerprint:
            raise DatasetError(
                "The dataset differs from the one the checkpoint was trained on (fingerprint mismatch); "
                "resume only with the same folder and files."
            )
        if data.get("identity_names") != self.dataset.names:
            raise DatasetError("The checkpoint's identities differ from this dataset's.")
        self.backbone.load_state_dict(data["state_dict"])
        self.head.load_state_dict(data["head_state_dict"])
        if "optimizer" in data:
            self.optimizer.load_state_dict(data["optimizer"])
            self.scheduler.load_state_dict(data["scheduler"])
            self.scaler.load_state_dict(data["scaler"])
        self.metrics = list(data.get("metrics", []))
        self.start_epoch = int(data["epoch"]) + 1
        self.best_epoch = int(data.get("best_epoch", data["epoch"]))
        best = data.get("best_score")
        self.best_score = tuple(float(v) for v in best) if best is not None else None
        self.best_threshold = data.get("best_threshold")

    def _checkpoint(self, epoch: int, *, threshold: float | None) -> dict[str, Any]:
        data = checkpoint_metadata(self.spec, embedding_size=self.embedding_size, threshold=threshold)
        data.update(
            {
                "identities": self.dataset.identities,
                "identity_names": list(self.dataset.names),
                "config": self.config.to_dict(),
                "metrics": [dict(m) for m in self.metrics],
                "dataset_fingerprint": self.dataset.fingerprint,
                "epoch": epoch,
                "best_epoch": self.best_epoch,
                "best_score": list(self.best_score) if self.best_score is not None else None,
                "best_threshold": self.best_threshold,
                "state_dict": {k: v.detach().cpu() for k, v in self.backbone.state_dict().items()},
                "head_state_dict": {k: v.detach().cpu() for k, v in self.head.state_dict().items()},
                "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict(),
                "scaler": self.scaler.state_dict(),
            }
        )
        return data

    # -- steps --------------------------------------------------------------------------------

    def _embed(self, chips: npt.NDArray[np.uint8], batch_size: int = 64) -> torch.Tensor:
        self.backbone.eval()
        outputs = []
        with torch.inference_mode():
            for start in range(0, len(chips), batch_size):
                batch = self.spec.normalisation.apply_nchw(
                    _chips_to_nchw(chips[start : start + batch_size]).to(self.device)
                )
                with torch.autocast("cuda", enabled=self.use_amp):
                    outputs.append(self.backbone(batch).float())
        return torch.cat(outputs)

    def validate(self, epoch: int) -> dict[str, Any]:
        chips = self.dataset.chips[self.val_idx]
        labels = torch.as_tensor(self.dataset.labels[self.val_idx], device=self.device)
        embeddings = self._embed(chips)
        with torch.inference_mode():
            logits = self.head(embeddings, labels)
            loss = float(F.cross_entropy(logits, labels))
            acc = float((self.head.cosine(embeddings).argmax(1) == labels).float().mean())
        names = [self.dataset.names[i] for i in self.dataset.labels[self.val_idx]]
        report = evaluate_embeddings(embeddings.cpu().numpy(), names, threshold=None)
        return {
            "epoch": epoch,
            "val_loss": loss,
            "val_acc": acc,
            "auc": report.auc,
            "rank1": report.rank1,
            "accuracy": report.accuracy,
            "precision": report.precision,
            "recall": report.recall,
            "f1": report.f1,
            "best_threshold": report.best_threshold,
            "positive_pairs": report.positive_pairs,
        }

    @staticmethod
    def score(metrics: dict[str, Any]) -> tuple[float, ...]:
        """Validation ranking: ROC-AUC, then rank-1, then pair accuracy (NaN ranks lowest)."""
        values = (metrics["auc"], metrics["rank1"], metrics["accuracy"])
        return tuple(-1.0 if v is None or math.isnan(v) else round(float(v), 6) for v in values)

    def train_epoch(self, epoch: int) -> tuple[float, float]:
        config = self.config
        head_only = epoch <= self.head_warmup
        if head_only:
            self.backbone.eval()  # fixed features (and batch-norm statistics) while the head learns
        else:
            self.backbone.train()
            set_frozen_batchnorm_eval(self.backbone)
        self.head.train()
        generator = torch.Generator().manual_seed(config.seed * 100_003 + epoch)
        order = self.train_idx[torch.randperm(len(self.train_idx), generator=generator).numpy()]
        total_loss = correct = seen = 0.0
        bar = tqdm(
            total=self.steps_per_epoch,
            desc=f"epoch {epoch}/{config.epochs}{' (head only)' if head_only else ''}",
            unit="batch",
            file=self.progress_file,
            disable=not self.show_progress,
            leave=False,
        )
        with bar:
            for step in range(self.steps_per_epoch):
                index = order[step * config.batch_size : (step + 1) * config.batch_size]
                images = augment(_chips_to_nchw(self.dataset.chips[index]), config, generator)
                inputs = self.spec.normalisation.apply_nchw(images.to(self.device))
                labels = torch.as_tensor(self.dataset.labels[index], device=self.device)
                with torch.autocast("cuda", enabled=self.use_amp), torch.set_grad_enabled(not head_only):
                    embeddings = self.backbone(inputs)
                logits = self.head(embeddings.float(), labels)
                loss = F.cross_entropy(logits, labels)
                if not torch.isfinite(loss):
                    raise FloatingPointError(f"Loss became {float(loss)} at epoch {epoch}; lower the lr.")
                self.optimizer.zero_grad(set_to_none=True)
                scaled: torch.Tensor = self.scaler.scale(loss)
                scaled.backward()  # type: ignore[no-untyped-call]
                self.scaler.step(self.optimizer)
                self.scaler.update()
                self.scheduler.step()
                with torch.no_grad():
                    correct += float((self.head.cosine(embeddings).argmax(1) == labels).sum())
                total_loss += float(loss.detach()) * len(index)
                seen += len(index)
                bar.set_postfix(loss=f"{total_loss / seen:.3f}", acc=f"{correct / seen:.3f}")
                bar.update()
        return total_loss / max(seen, 1), correct / max(seen, 1)

    def run(self) -> TrainingResult:
        began = time.perf_counter()
        config = self.config
        self.log(
            f"{self.dataset.identities} identities, {len(self.train_idx)} training / {len(self.val_idx)} "
            f"validation images; backbone {config.backbone} ({self.embedding_size}-d) on {self.device}"
            f"{' with AMP' if self.use_amp else ''}."
        )
        if self.start_epoch == 1 and not self.metrics:
            # Epoch 0: the starting model, so the best checkpoint is never worse than it on validation.
            metrics = self.validate(0) | {"train_loss": None, "train_acc": None, "lr": 0.0, "seconds": 0.0}
            self.metrics.append(metrics)
            self.best_score = self.score(metrics)
            self.best_epoch = 0
            self.best_threshold = metrics["best_threshold"]
            self._report(metrics, best=True)
            _atomic_save(self._checkpoint(0, threshold=self.best_threshold), self.output)
        stopped_early = False
        epoch = self.start_epoch - 1
        for epoch in range(self.start_epoch, config.epochs + 1):
            started = time.perf_counter()
            seed_everything(config.seed + epoch)
            lr = self.optimizer.param_groups[0]["lr"]
            train_loss, train_acc = self.train_epoch(epoch)
            metrics = self.validate(epoch) | {
                "train_loss": train_loss,
                "train_acc": train_acc,
                "lr": lr,
                "seconds": time.perf_counter() - started,
            }
            self.metrics.append(metrics)
            score = self.score(metrics)
            improved = self.best_score is None or score > self.best_score
            if improved:
                self.best_score, self.best_epoch = score, epoch
                self.best_threshold = metrics["best_threshold"]
            self._report(metrics, best=improved)
            checkpoint = self._checkpoint(epoch, threshold=self.best_threshold)
            _atomic_save(checkpoint, self.last_path)
            if improved:
                _atomic_save(checkpoint, self.output)
            # Head-only epochs leave the embeddings unchanged: patience counts after them.
            since = epoch - max(self.best_epoch, self.head_warmup)
            if config.patience and since >= config.patience:
                stopped_early = epoch < config.epochs
                if stopped_early:
                    self.log(f"No validation improvement for {config.patience} epoch(s): stopping early.")
                break
        if not self.last_path.exists():
            _atomic_save(self._checkpoint(epoch, threshold=self.best_threshold), self.last_path)
        # The best file was written at its epoch; refresh its metric history to the whole run.
        best = read_checkpoint(self.output)
        best["metrics"] = [dict(m) for m in self.metrics]
        _atomic_save(best, self.output)
        return TrainingResult(
            best_path=self.output,
            last_path=self.last_path,
            best_epoch=self.best_epoch,
            epochs_run=epoch,
            stopped_early=stopped_early,
            metrics=self.metrics,
            identities=self.dataset.identities,
            train_images=len(self.train_idx),
            val_images=len(self.val_idx),
            dataset_fingerprint=self.dataset.fingerprint,
            without_face=self.dataset.without_face,
            cached=self.dataset.cached,
            seconds=time.perf_counter() - began,
        )

    def _report(self, m: dict[str, Any], *, best: bool) -> None:
        train = (
            f"loss {m['train_loss']:.4f} acc {m['train_acc']:.3f} | "
            if m.get("train_loss") is not None
            else ""
        )
        self.log(
            f"epoch {m['epoch']}: {train}val loss {m['val_loss']:.4f} acc {m['val_acc']:.3f} "
            f"AUC {m['auc']:.4f} rank-1 {m['rank1']:.3f} F1 {m['f1']:.3f} "
            f"P {m['precision']:.3f} R {m['recall']:.3f}{'  *best' if best else ''}"
        )


def train(
    dataset_dir: Path,
    *,
    output: Path,
    config: TrainingConfig,
    resume: Path | None = None,
    cache_dir: Path | None = None,
    log: Log = print,
    progress_file: IO[str] | None = None,
    show_progress: bool = True,
) -> TrainingResult:
    """Prepare `dataset_dir` (cached detection) and train; see the module docstring."""
    if output.suffix != ".pt":
        raise ValueError(f"--output must name a .pt file, got {output}.")
    resume_data = read_checkpoint(resume) if resume is not None else None
    if resume_data is not None and "head_state_dict" not in resume_data:
        raise ValueError(f"{resume} holds no training state (head, optimizer); it cannot be resumed.")
    spec = backbone_spec(config.backbone)
    if resume_data is not None and resume_data["backbone"] != config.backbone:
        raise ValueError(f"{resume} is a {resume_data['backbone']} checkpoint, not {config.backbone}.")
    device = resolve_device(config.device)
    detector = FaceDetector(
        device=device,
        max_side=config.detect_max_side,
        min_face_size=config.min_face_size,
        min_prob=config.min_face_prob,
    )
    with tqdm(desc="faces", unit="img", file=progress_file, disable=not show_progress, leave=False) as bar:
        dataset = prepare_dataset(
            dataset_dir,
            template=spec.template,
            detector=detector,
            cache_dir=cache_dir or default_cache_dir(output),
            progress=bar.update,
        )
    log(
        f"Dataset: {dataset.images} images, {len(dataset.chips)} faces ({dataset.cached} from the cache), "
        f"{dataset.identities} identities."
    )
    for path in dataset.without_face:
        log(f"No face found, skipped: {path}")
    trainer = Trainer(
        dataset,
        config=config,
        output=output,
        resume=resume_data,
        log=log,
        progress_file=progress_file,
        show_progress=show_progress,
    )
    return trainer.run()
