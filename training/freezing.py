"""Which backbone parameters fine-tuning trains: the last stages, the rest frozen."""

from __future__ import annotations

from torch import nn

# Parameter-name prefixes that stay trainable when a backbone is frozen "except its last stages".
LAST_STAGES: dict[str, tuple[str, ...]] = {
    # The 256-channel stage (blocks 10-13) and the final projection.
    "dlib-resnet": ("blocks.10.", "blocks.11.", "blocks.12.", "blocks.13.", "fc."),
    # FacenetBackbone wraps InceptionResnetV1 as `net`.
    "facenet": ("net.repeat_3.", "net.block8.", "net.last_linear.", "net.last_bn."),
    "resnet18": ("layer4.", "fc."),
    "mobilenet_v3_small": ("features.10.", "features.11.", "features.12.", "classifier."),
}


def freeze_except_last_stages(net: nn.Module, name: str) -> tuple[int, int]:
    """Freeze every parameter outside the backbone's last stages; returns (trainable, frozen) counts."""
    prefixes = LAST_STAGES[name]
    trainable = frozen = 0
    for param_name, param in net.named_parameters():
        keep = param_name.startswith(prefixes)
        param.requires_grad_(keep)
        if keep:
            trainable += param.numel()
        else:
            frozen += param.numel()
    if trainable == 0:
        raise ValueError(f"No parameters of {name} match its last stages {prefixes}.")
    return trainable, frozen


def set_frozen_batchnorm_eval(net: nn.Module) -> None:
    """Keep the running statistics of fully frozen batch-norm layers fixed while training."""
    for module in net.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            params = list(module.parameters())
            if params and not any(p.requires_grad for p in params):
                module.eval()
