"""Framework conventions (Keras, folded BatchNorm) and the cost of a training step.

Every function here reads the core's blocks and their measured figures
(:class:`~convcalc.model.cost.Cost`, a block's or a whole network's)
and returns new ones: a convention changes how a figure is stated,
never what was computed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .core import BatchNorm, Block, Conv, ConvCalcError, Layer
from .cost import DTYPES, Cost
from .names import OPTIMIZERS

if TYPE_CHECKING:
    from .network import Network

__all__ = ["OPTIMIZERS", "Training", "fold_bn", "fold_network", "keras_block", "training"]


def fold_bn(block: Block) -> Block:
    """The block as it runs at inference with each BatchNorm folded into the
    convolution before it: the BatchNorm goes, and that convolution gains a bias
    (its scale is folded into the weights).

    >>> from convcalc.model.core import standard
    >>> fold_bn(standard(cin=64, cout=64, bn=True, bias=False)).params
    36928
    """
    layers: list[Layer] = []
    for layer in block.layers:
        if isinstance(layer, BatchNorm) and layers and isinstance(layers[-1], Conv):
            layers[-1] = layers[-1].replace(bias=True)
            continue
        layers.append(layer)
    return block.replace(layers=tuple(layers), bn=False)


def keras_block(block: Block) -> Block:
    """The block as Keras builds it. A separable block without BatchNorm between its
    convolutions is a SeparableConv2D, whose depthwise part has no bias of its own.

    >>> from convcalc.model.core import separable
    >>> keras_block(separable(cin=64, cout=128)).params
    8896
    """
    if block.variant != "separable" or block.bn or not block.bias:
        return block
    depthwise, *rest = block.layers
    assert isinstance(depthwise, Conv)
    return block.replace(layers=(depthwise.replace(bias=False), *rest))


@dataclass(frozen=True, kw_only=True)
class Training:
    """The usual estimate of what one training step costs."""

    step_macs: int | None
    """Forward + backward: 3 × the forward MACs (2 × with frozen weights)."""
    weight_bytes: int
    gradient_bytes: int
    optimizer_bytes: int
    activation_bytes: int | None
    """The input and every layer's output, kept for the backward pass."""
    optimizer: str
    frozen: bool

    @property
    def total_bytes(self) -> int | None:
        """Weights, gradients, optimizer state and kept activations."""
        if self.activation_bytes is None:
            return None
        return (
            self.weight_bytes + self.gradient_bytes + self.optimizer_bytes + self.activation_bytes
        )


def training(cost: Cost, *, optimizer: str = "sgd", frozen: bool = False) -> Training:
    """Training-step compute and memory for a measured block or a traced network.

    The backward pass computes gradients for the activations (about the forward's
    MACs again) and for the weights (once more), hence 3 × the forward; with frozen
    weights the second is skipped. Optimizer state is kept in the weights' dtype. The
    activations kept for the backward pass are the input and every layer's output.

    >>> from convcalc.model.core import standard
    >>> from convcalc.model.cost import measure
    >>> t = training(measure(standard(cin=64, cout=128), input=56), optimizer="adam")
    >>> t.step_macs, t.optimizer_bytes
    (693633024, 590848)
    >>> from convcalc.model.network import Network, Seq, trace
    >>> body = Seq(children=(standard(cin=3, cout=4),))
    >>> t = training(trace(Network(name="n", input_shape=(3, 8, 8), body=body)))
    >>> t.step_macs, t.activation_bytes
    (20736, 1792)
    """
    kept = None
    if cost.input_bytes is not None and cost.activation_bytes is not None:
        kept = cost.input_bytes + cost.activation_bytes
    params, buffers, macs, dtype = cost.params, cost.buffers, cost.macs, cost.dtype
    if optimizer not in OPTIMIZERS:
        raise ConvCalcError(
            f"unknown optimizer {optimizer!r}: use {', '.join(OPTIMIZERS)}", option="optimizer"
        )
    size = DTYPES[dtype]
    trainable = 0 if frozen else params * size
    return Training(
        step_macs=None if macs is None else (2 if frozen else 3) * macs,
        weight_bytes=(params + buffers) * size,
        gradient_bytes=trainable,
        optimizer_bytes=trainable * OPTIMIZERS[optimizer],
        activation_bytes=kept,
        optimizer=optimizer,
        frozen=frozen,
    )


def fold_network(network: Network) -> Network:
    """The network as exporters write it for inference (``model --fold-bn``): each
    BatchNorm that follows a convolution is folded into it, as :func:`fold_bn` does for
    a block. A BatchNorm that follows anything else (DenseNet's pre-activation ones, a
    linear layer's) stays, as it does in an exported ONNX graph.

    >>> from convcalc.model.core import standard
    >>> from convcalc.model.network import Network, Seq
    >>> net = Network(name="n", input_shape=(3, 8, 8),
    ...               body=Seq(children=(standard(cin=3, cout=8, bn=True, bias=False),)))
    >>> fold_network(net).body.children[0].params
    224
    """
    from dataclasses import replace

    return replace(network, body=_folded(network.body))


def _folded_seq(seq: Any) -> Any:
    """A sequence folded, a standalone BatchNorm (``type = "bn"``) that directly follows
    a convolution block without one of its own folded into that block's last
    convolution, as an exporter folds it."""
    from dataclasses import replace

    from .network import Norm

    children: list[Any] = []
    before: Any = None
    for child in seq.children:
        if isinstance(child, Norm) and isinstance(before, Block) and not before.bn:
            *head, last = children[-1].layers
            if isinstance(last, Conv):
                children[-1] = children[-1].replace(layers=(*head, last.replace(bias=True)))
                before = None
                continue
        children.append(_folded(child))
        before = child
    if len(children) == len(seq.children) and all(
        a is b for a, b in zip(children, seq.children, strict=True)
    ):
        return seq
    return replace(seq, children=tuple(children))


def _folded(node: Any) -> Any:
    """A node with its blocks folded; containers are rebuilt only where a child changed."""
    from dataclasses import fields, is_dataclass, replace

    from .network import Seq

    if isinstance(node, Block):
        return fold_bn(node) if node.bn else node
    if isinstance(node, Seq):
        return _folded_seq(node)
    if isinstance(node, tuple):
        items = tuple(_folded(item) for item in node)
        return items if any(a is not b for a, b in zip(items, node, strict=True)) else node
    if not is_dataclass(node) or isinstance(node, type):
        return node
    changes = {}
    for item in fields(node):
        if not item.init:
            continue
        value = getattr(node, item.name)
        folded = _folded(value)
        if folded is not value:
            changes[item.name] = folded
    return replace(node, **changes) if changes else node
