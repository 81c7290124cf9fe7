"""The ArcFace training loop: backbone + margin head, validated every epoch.

Django-free. `train()` prepares the dataset (detection once, cached chips) and splits it for
validation: by default whole identities are held out, so the best epoch and the threshold are
chosen on people the model never trained on, as search meets them (`val_mode="images"` splits
each person's images instead, on request). It evaluates the starting model (epoch 0), trains,
validates every epoch with `recognition.ml.metrics.evaluate_embeddings` (the code behind
`evaluate_faces`) and writes two checkpoints (`training.checkpoints`): `output`, the best epoch
by validation (epoch 0 included, so it is never worse on validation than the starting model; a
later epoch that ties replaces an earlier one), whose threshold is the one that maximises pair
accuracy on the validation identities; and `<output stem>.last.pt` (every epoch, resumable).
"""

from __future__ import annotations

import math
import random
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

from recognition.ml.backbones import BackboneSpec, backbone_spec, build_backbone
from recognition.ml.detection import FaceDetector
from recognition.ml.device import resolve_device
from recognition.ml.metrics import evaluate_embeddings
from training.arcface import ArcFaceHead
from training.augment import augment
from training.checkpoints import (
    Optimisation,
    TrainingState,
    default_cache_dir,
    last_path_for,
    read_resumable,
    refresh_metrics,
    restore,
    save_checkpoint,
    training_checkpoint,
)
from training.config import TrainingConfig
from training.data import FaceDataset, prepare_dataset
from training.freezing import freeze_except_last_stages, set_frozen_batchnorm_eval
from training.schedule import lr_factors
from training.validation import replaces_best, separation, split_for_validation, validation_score

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
    validation: dict[str, Any] = field(default_factory=dict)

    @property
    def best_metrics(self) -> dict[str, Any]:
        return next(m for m in self.metrics if m["epoch"] == self.best_epoch)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)  # third-party code may use the global generator
    torch.manual_seed(seed)


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
        # The last epoch always trains the backbone, so that `--epochs 1` fine-tunes it.
        pretrained = config.pretrained and self.spec.pretrained_available
        self.head_warmup = min(config.head_warmup_epochs, config.epochs - 1) if pretrained else 0

        self.split = split_for_validation(dataset, config)
        self.train_idx, self.val_idx = self.split.train, self.split.val
        self.train_names, self.head_label = self.split.train_names, self.split.head_label
        self.validation = self.split.summary
        seed_everything(config.seed)
        self.backbone = build_backbone(
            config.backbone,
            embedding_size=self.embedding_size,
            pretrained=config.pretrained and resume is None,
        ).to(self.device)
        self.head = ArcFaceHead(
            self.embedding_size,
            len(self.train_names),
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
        optimizer: torch.optim.Optimizer
        if config.optimizer == "sgd":
            optimizer = torch.optim.SGD(
                groups,
                lr=config.effective_lr,
                momentum=config.momentum,
                weight_decay=config.weight_decay,
                nesterov=True,
            )
        else:
            optimizer = torch.optim.AdamW(groups, lr=config.effective_lr, weight_decay=config.weight_decay)
        n_train = len(self.train_idx)
        self.steps_per_epoch = max(1, math.ceil(n_train / config.batch_size))
        if n_train % config.batch_size == 1 and n_train > 1:
            self.steps_per_epoch -= 1  # a last batch of one sample is dropped (batch norm)
        backbone_factor, head_factor = lr_factors(
            epochs=config.epochs,
            steps_per_epoch=self.steps_per_epoch,
            head_only_epochs=self.head_warmup,
            warmup_epochs=config.warmup_epochs,
        )
        self.parts = Optimisation(
            backbone=self.backbone,
            head=self.head,
            optimizer=optimizer,
            scheduler=torch.optim.lr_scheduler.LambdaLR(optimizer, [backbone_factor, head_factor]),
            scaler=torch.amp.GradScaler("cuda", enabled=self.use_amp),
        )
        self.state = TrainingState()
        if resume is not None:
            self.state = restore(resume, dataset=dataset, train_names=self.train_names, parts=self.parts)

    def imprint_head(self) -> None:
        """Set each class centre to the normalised mean embedding of its training images."""
        embeddings = F.normalize(self._embed(self.dataset.chips[self.train_idx]), dim=1)
        labels = torch.as_tensor(self.head_label[self.dataset.labels[self.train_idx]], device=self.device)
        centres = torch.zeros_like(self.head.weight)
        centres.index_add_(0, labels, embeddings.to(centres.dtype))
        with torch.no_grad():
            self.head.weight.copy_(F.normalize(centres, dim=1))

    def _checkpoint(self, epoch: int) -> dict[str, Any]:
        return training_checkpoint(
            epoch=epoch,
            spec=self.spec,
            embedding_size=self.embedding_size,
            config=self.config,
            dataset=self.dataset,
            train_names=self.train_names,
            validation=self.validation,
            state=self.state,
            parts=self.parts,
        )

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
        dataset_labels = self.dataset.labels[self.val_idx]
        embeddings = self._embed(self.dataset.chips[self.val_idx])
        val_loss = val_acc = None
        if self.config.val_mode == "images":
            # Classification loss and accuracy exist only for identities the head was trained on.
            labels = torch.as_tensor(self.head_label[dataset_labels], device=self.device)
            with torch.inference_mode():
                val_loss = float(F.cross_entropy(self.head(embeddings, labels), labels))
                val_acc = float((self.head.cosine(embeddings).argmax(1) == labels).float().mean())
        vectors = embeddings.cpu().numpy()
        names = [self.dataset.names[i] for i in dataset_labels]
        report = evaluate_embeddings(vectors, names, threshold=None)
        return {
            "epoch": epoch,
            "val_loss": val_loss,
            "val_acc": val_acc,
            "auc": report.auc,
            "rank1": report.rank1,
            "accuracy": report.accuracy,
            "precision": report.precision,
            "recall": report.recall,
            "f1": report.f1,
            "separation": separation(vectors, dataset_labels),
            "best_threshold": report.best_threshold,
            "positive_pairs": report.positive_pairs,
        }

    def train_epoch(self, epoch: int) -> tuple[float, float]:
        config, parts = self.config, self.parts
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
                labels = torch.as_tensor(self.head_label[self.dataset.labels[index]], device=self.device)
                with torch.autocast("cuda", enabled=self.use_amp), torch.set_grad_enabled(not head_only):
                    embeddings = self.backbone(inputs)
                logits = self.head(embeddings.float(), labels)
                loss = F.cross_entropy(logits, labels)
                if not torch.isfinite(loss):
                    raise FloatingPointError(f"Loss became {float(loss)} at epoch {epoch}; lower the lr.")
                parts.optimizer.zero_grad(set_to_none=True)
                scaled: torch.Tensor = parts.scaler.scale(loss)
                scaled.backward()  # type: ignore[no-untyped-call]
                parts.scaler.step(parts.optimizer)
                parts.scaler.update()
                parts.scheduler.step()
                with torch.no_grad():
                    correct += float((self.head.cosine(embeddings).argmax(1) == labels).sum())
                total_loss += float(loss.detach()) * len(index)
                seen += len(index)
                bar.set_postfix(loss=f"{total_loss / seen:.3f}", acc=f"{correct / seen:.3f}")
                bar.update()
        return total_loss / max(seen, 1), correct / max(seen, 1)

    def _keep_if_best(self, metrics: dict[str, Any]) -> bool:
        score = validation_score(metrics)
        if not replaces_best(score, self.state.best_score):
            return False
        self.state.best_score, self.state.best_epoch = score, int(metrics["epoch"])
        self.state.best_threshold = metrics["best_threshold"]
        return True

    def run(self) -> TrainingResult:
        began = time.perf_counter()
        config, state = self.config, self.state
        v = self.validation
        self.log(
            f"{self.dataset.identities} identities; training on {len(self.train_names)} "
            f"({len(self.train_idx)} images), validating on {v['identities']} "
            f"({v['images']} images, {v['positive_pairs']} same-person pairs, "
            f"{'held out of training' if v['held_out_identities'] else 'also trained on'}); "
            f"backbone {config.backbone} ({self.embedding_size}-d) on {self.device}"
            f"{' with AMP' if self.use_amp else ''}."
        )
        if config.val_mode == "images":
            self.log(
                "Per-image validation: the best epoch and the threshold are chosen on people the "
                "model trains on, so the threshold is optimistic for search (which meets new people)."
            )
        if state.next_epoch == 1 and not state.metrics:
            # Epoch 0: the starting model, so the best checkpoint is never worse than it on validation.
            metrics = self.validate(0) | {
                "train_loss": None,
                "train_acc": None,
                "lr": 0.0,
                "seconds": 0.0,
            }
            state.metrics.append(metrics)
            self._keep_if_best(metrics)
            self._report(metrics, best=True)
            save_checkpoint(self._checkpoint(0), self.output)
        elif not self.output.exists():
            # Resumed into a new output: the best weights so far live elsewhere, so the resumed
            # state becomes the baseline the rest of this run must beat.
            resumed = state.metrics[-1]
            state.best_epoch, state.best_score = int(resumed["epoch"]), validation_score(resumed)
            state.best_threshold = resumed["best_threshold"]
            self.log(f"Resumed at epoch {state.best_epoch}; it is the baseline for {self.output}.")
            save_checkpoint(self._checkpoint(state.best_epoch), self.output)
        stopped_early = False
        epoch = state.next_epoch - 1
        for epoch in range(state.next_epoch, config.epochs + 1):
            started = time.perf_counter()
            seed_everything(config.seed + epoch)
            lr = self.parts.optimizer.param_groups[0]["lr"]
            train_loss, train_acc = self.train_epoch(epoch)
            metrics = self.validate(epoch) | {
                "train_loss": train_loss,
                "train_acc": train_acc,
                "lr": lr,
                "seconds": time.perf_counter() - started,
            }
            state.metrics.append(metrics)
            state.next_epoch = epoch + 1
            improved = self._keep_if_best(metrics)
            self._report(metrics, best=improved)
            checkpoint = self._checkpoint(epoch)
            save_checkpoint(checkpoint, self.last_path)
            if improved:
                save_checkpoint(checkpoint, self.output)
            # Head-only epochs leave the embeddings unchanged: patience counts after them.
            since = epoch - max(state.best_epoch, self.head_warmup)
            if config.patience and since >= config.patience:
                stopped_early = epoch < config.epochs
                if stopped_early:
                    self.log(f"No validation improvement for {config.patience} epoch(s): stopping early.")
                break
        if not self.last_path.exists():
            save_checkpoint(self._checkpoint(epoch), self.last_path)
        # The best file was written at its epoch; refresh its metric history to the whole run.
        refresh_metrics(self.output, state.metrics)
        return TrainingResult(
            best_path=self.output,
            last_path=self.last_path,
            best_epoch=state.best_epoch,
            epochs_run=epoch,
            stopped_early=stopped_early,
            metrics=state.metrics,
            identities=self.dataset.identities,
            train_images=len(self.train_idx),
            val_images=len(self.val_idx),
            dataset_fingerprint=self.dataset.fingerprint,
            without_face=self.dataset.without_face,
            cached=self.dataset.cached,
            seconds=time.perf_counter() - began,
            validation=dict(self.validation),
        )

    def _report(self, m: dict[str, Any], *, best: bool) -> None:
        train = (
            f"loss {m['train_loss']:.4f} acc {m['train_acc']:.3f} | "
            if m.get("train_loss") is not None
            else ""
        )
        val = f"val loss {m['val_loss']:.4f} acc {m['val_acc']:.3f} " if m.get("val_loss") is not None else ""
        self.log(
            f"epoch {m['epoch']}: {train}{val}AUC {m['auc']:.4f} rank-1 {m['rank1']:.3f} "
            f"F1 {m['f1']:.3f} P {m['precision']:.3f} R {m['recall']:.3f} "
            f"separation {m['separation']:.4f} threshold {m['best_threshold']:.3f}"
            f"{'  *best' if best else ''}"
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
    resume_data = read_resumable(resume, backbone=config.backbone) if resume is not None else None
    spec = backbone_spec(config.backbone)
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
