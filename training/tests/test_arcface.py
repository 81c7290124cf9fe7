import math

import pytest
import torch
import torch.nn.functional as F  # noqa: N812

from training.arcface import ArcFaceHead

pytestmark = pytest.mark.nodb


def _head(
    margin: float = 0.5, scale: float = 64.0, easy_margin: bool = False, classes: int = 3, dim: int = 4
) -> ArcFaceHead:
    torch.manual_seed(0)
    return ArcFaceHead(dim, classes, margin=margin, scale=scale, easy_margin=easy_margin)


def test_target_logit_gets_the_angular_margin_and_others_do_not():
    head = _head()
    x = torch.randn(5, 4)
    labels = torch.tensor([0, 1, 2, 0, 1])
    logits = head(x, labels)
    cosine = F.normalize(x) @ F.normalize(head.weight).T
    theta = torch.acos(cosine.clamp(-1, 1))
    for i, y in enumerate(labels.tolist()):
        for j in range(3):
            if j == y:
                c = cosine[i, j].item()
                expected = (
                    math.cos(theta[i, j].item() + 0.5)
                    if c > math.cos(math.pi - 0.5)
                    else c - math.sin(math.pi - 0.5) * 0.5
                )
                assert logits[i, j].item() == pytest.approx(64 * expected, abs=1e-3)
                assert logits[i, j].item() < 64 * c  # the margin always lowers the target logit
            else:
                assert logits[i, j].item() == pytest.approx(64 * cosine[i, j].item(), abs=1e-4)


def test_zero_margin_is_scaled_cosine_softmax():
    head = _head(margin=0.0, scale=10.0)
    x = torch.randn(4, 4)
    labels = torch.tensor([0, 1, 2, 1])
    assert torch.allclose(head(x, labels), 10.0 * head.cosine(x), atol=1e-5)


@pytest.mark.parametrize("easy_margin", [False, True])
def test_no_nan_when_embedding_coincides_with_or_opposes_a_centre(easy_margin):
    head = _head(easy_margin=easy_margin)
    centre = head.weight.detach()[0]
    x = torch.stack([centre * 3.0, -centre * 2.0]).requires_grad_(True)  # cos = +1 and -1 with class 0
    labels = torch.tensor([0, 0])
    logits = head(x, labels)
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    assert torch.isfinite(logits).all()
    assert torch.isfinite(loss)
    assert x.grad is not None
    assert head.weight.grad is not None
    assert torch.isfinite(x.grad).all()
    assert torch.isfinite(head.weight.grad).all()
    # cos = 1: cos(0 + m); cos = -1 beyond the threshold: the original fallback cos - m*sin(m) (or cos).
    assert logits[0, 0].item() == pytest.approx(64 * math.cos(0.5), abs=0.05)  # the clamp keeps sin > 0
    expected = -1.0 if easy_margin else -1.0 - math.sin(math.pi - 0.5) * 0.5
    assert logits[1, 0].item() == pytest.approx(64 * expected, abs=0.05)


def test_target_logit_is_monotonic_in_the_angle():
    """The threshold fallback keeps the target logit decreasing as the angle grows past pi - m."""
    head = _head(margin=0.5, scale=1.0, classes=2, dim=2)
    with torch.no_grad():
        head.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
    angles = torch.linspace(0, math.pi, 200)
    x = torch.stack([torch.cos(angles), torch.sin(angles)], dim=1)
    target = head(x, torch.zeros(200, dtype=torch.long))[:, 0]
    assert (target[1:] <= target[:-1] + 1e-6).all()


def test_invalid_arguments():
    with pytest.raises(ValueError, match="2 classes"):
        ArcFaceHead(4, 1)
    with pytest.raises(ValueError, match="margin"):
        ArcFaceHead(4, 2, margin=2.0)
    with pytest.raises(ValueError, match="scale"):
        ArcFaceHead(4, 2, scale=0)


def test_loss_falls_on_separable_clusters():
    """A few optimisation steps on well-separated random clusters: the ArcFace loss drops clearly."""
    generator = torch.Generator().manual_seed(0)
    classes, per_class, dim = 4, 16, 32
    centres = torch.randn(classes, dim, generator=generator) * 3.0
    inputs = centres.repeat_interleave(per_class, 0) + 0.3 * torch.randn(
        classes * per_class, dim, generator=generator
    )
    labels = torch.arange(classes).repeat_interleave(per_class)
    torch.manual_seed(0)
    embed = torch.nn.Linear(dim, 8)
    head = ArcFaceHead(8, classes, margin=0.3, scale=16.0)
    optimizer = torch.optim.SGD([*embed.parameters(), *head.parameters()], lr=0.1, momentum=0.9)

    def loss() -> torch.Tensor:
        return F.cross_entropy(head(embed(inputs), labels), labels)

    with torch.no_grad():
        before = float(loss())
    for _ in range(30):
        optimizer.zero_grad()
        step = loss()
        step.backward()
        optimizer.step()
    with torch.no_grad():
        after = float(loss())
        predicted = head.cosine(embed(inputs)).argmax(1)
    assert before > 5.0  # a random head: the margin makes the target logit lose
    assert after < 0.25 * before
    assert (predicted == labels).float().mean() == 1.0
