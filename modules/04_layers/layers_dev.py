# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Module 4: Layers
#
# With `Variable` you can write any model as one long expression: `((x @ w1 + b1).relu() @ w2 + b2)`. That
# stops scaling at the second model. You need somewhere to keep the weights, a way to list all of them for
# the optimizer, a way to save and restore them, and layers that behave differently while training and while
# predicting. This module builds that machinery, in the shape PyTorch's `torch.nn` gave it:
#
# - `Module`, the base class of every layer and model. It finds its `Parameter`s by looking through its
#   attributes, switches itself and its sub-modules between training and evaluation, and saves and loads its
#   weights as a dictionary of arrays.
# - `Linear`, the fully connected layer, with four ways to draw its initial weights, and an experiment that
#   shows why that choice decides whether a deep network can learn at all.
# - The activations `ReLU`, `Sigmoid`, `Tanh`, `SELU` and `Softmax`, and `Sequential` to chain layers.
# - `Dropout` and `BatchNorm1d`, the two layers whose behaviour depends on the training flag.
#
# Every layer is a few operations on `Variable`s, so autograd computes all gradients for you. The tests of
# this course compare every layer with its `torch.nn` twin, weights copied across, to ten decimal places.
#
# ```python
# model = Sequential(Linear(4, 16, rng=0), ReLU(), Dropout(0.1), Linear(16, 3, rng=1))
# model(x).sum().backward()        # every parameter now has a .grad
# [name for name, _ in model.named_parameters()]   # ['0.weight', '0.bias', '3.weight', '3.bias']
# ```

# %% nbgrader={"grade": false, "grade_id": "layers-imports", "locked": true, "schema_version": 3, "solution": false, "task": false}
#| default_exp core.layers
#| export
import math

import numpy as np

from tinytorch.core.autograd import Variable

# %%
import matplotlib.pyplot as plt
import pytest

# %% [markdown]
# ## 1. Parameters and modules
#
# A **parameter** is a number the optimizer is allowed to change: a weight or a bias. Everything else a layer
# computes is derived from parameters and inputs. We mark parameters with a tiny subclass of `Variable`,
# `Parameter`, which always requires gradients. Being a separate class matters because a layer may keep other
# arrays too (batch norm keeps running averages) and those must not be trained.
#
# A **module** is an object with a `forward` method and some attributes. Some attributes are parameters, some
# are other modules (a model holds layers; a residual block holds two linear layers and a norm). Modules form
# a tree, and most of what `Module` does is walk that tree:
#
# ```
# Sequential                      named_modules()        named_parameters()
# ├── 0: Linear                   ""   Sequential         "0.weight"  (16, 4)
# │     weight, bias              "0"  Linear             "0.bias"    (16,)
# ├── 1: ReLU                     "1"  ReLU               "2.weight"  (3, 16)
# └── 2: Linear                   "2"  Linear             "2.bias"    (3,)
#       weight, bias
# ```
#
# Names are the attribute names on the path from the root, joined with dots. An attribute that is a list of
# modules (or of parameters) contributes one name per element: a list `blocks` gives `blocks.0`, `blocks.1`.
# `Sequential` names its layers `0`, `1`, ... directly. These are exactly PyTorch's names, so a checkpoint
# made by `torch.nn` can be loaded into the matching tinytorch model and the other way round.
#
# The order matters as well: an optimizer's state is stored per parameter position, so `parameters()` must
# list parameters in a fixed, predictable order. We use PyTorch's: the tree is walked parents first, children
# in the order their attributes were assigned, and at each module its own parameters come before those of its
# children. Python dictionaries (and so `vars(self)`) keep the order in which attributes were set, which is
# what makes this possible without any registration calls.
#
# Two more things live on every module:
#
# - `training`, a flag that `train()` and `eval()` set on a module *and all modules inside it*. Only dropout
#   and batch norm read it, but they can sit anywhere in the tree, so the switch has to reach every node.
# - `state_dict()`: a dictionary from dotted name to a *copy* of the array, for every parameter and every
#   **buffer**, an array that is saved with the model but not trained (batch norm's running averages). A
#   module lists its buffers' attribute names in `buffer_names`. `load_state_dict()` copies values back
#   *in place*, so an optimizer that holds the parameter arrays keeps seeing the model's weights.
#
# ### The Module class
#
# The class below is given except for `named_modules`, which you write. The given helpers find what a module
# holds directly: `named_children()` its sub-modules, `own_parameters()` its parameters, `own_buffers()` its
# buffers. `named_modules()` walks the whole tree with them, and everything else builds on that walk.
#
# The other methods you write come after the class, one per cell. Each cell defines a function and attaches
# it to the class, as in `Module.train = _train`; from then on every module, and every subclass, has it.
# `parameters()`, `zero_grad()` and `eval()` are given in the class and call those methods, so they work as
# soon as the methods they call are written.

# %% nbgrader={"grade": false, "grade_id": "module-class", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def _as_variable(value):
    """`value` as a Variable: a Variable passes through; an ndarray, list, number or Tensor becomes a constant."""
    return value if isinstance(value, Variable) else Variable(value, requires_grad=False)


def _join(prefix, name):
    """A dotted name: _join("", "weight") is "weight" and _join("0", "weight") is "0.weight"."""
    return f"{prefix}.{name}" if prefix else name


class Parameter(Variable):
    """A Variable that a Module owns and an optimizer trains: a leaf that always requires gradients."""

    def __init__(self, value):
        super().__init__(value, requires_grad=True)

    def __repr__(self):
        return "Parameter" + super().__repr__()[len("Variable"):]


class Module:
    """The base class of layers and models.

    A subclass sets its Parameters, sub-modules and buffers as attributes in `__init__` and computes its
    output in `forward`. Calling the module calls `forward`. Subclasses need not call `Module.__init__`.
    named_parameters, train, state_dict and load_state_dict are attached after the class, one per cell.
    """

    training = True  # a class default; train() and eval() set it on each instance
    buffer_names = ()  # attribute names of ndarrays saved by state_dict() but not trained

    def forward(self, *inputs):
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *inputs, **options):
        return self.forward(*inputs, **options)

    # What a module holds directly (given).

    def _members(self):
        """(name, value) for each attribute in assignment order; a list or tuple `xs` gives "xs.0", "xs.1", ..."""
        for name, value in vars(self).items():
            if isinstance(value, (list, tuple)):
                for index, item in enumerate(value):
                    yield f"{name}.{index}", item
            else:
                yield name, value

    def named_children(self):
        """(name, module) for each module held directly by this one, in assignment order."""
        return [(name, value) for name, value in self._members() if isinstance(value, Module)]

    def own_parameters(self):
        """(name, Parameter) for each Parameter held directly by this module (not by its children)."""
        return [(name, value) for name, value in self._members() if isinstance(value, Parameter)]

    def own_buffers(self):
        """(name, ndarray) for each buffer this module lists in `buffer_names`."""
        return [(name, getattr(self, name)) for name in self.buffer_names]

    # Walking the tree.

    def named_modules(self, prefix=""):
        """(dotted name, module) for this module and every module inside it, each parent before its children.

        This module comes first, named `prefix`; then, for each child in `named_children()` order, the child's
        own `named_modules`, with names prefixed by the child's name (use `_join`). For a Sequential holding a
        Linear and a ReLU: [("", seq), ("0", linear), ("1", relu)].
        """
        ### BEGIN SOLUTION
        found = [(prefix, self)]
        for name, child in self.named_children():
            found.extend(child.named_modules(_join(prefix, name)))
        return found
        ### END SOLUTION

    def parameters(self):
        """Every Parameter, in the order of `named_parameters()`: what an optimizer is given."""
        return [parameter for _, parameter in self.named_parameters()]

    def zero_grad(self):
        """Forget the gradient of every parameter."""
        for parameter in self.parameters():
            parameter.zero_grad()

    def eval(self):
        """Switch to evaluation mode: `train(False)`."""
        return self.train(False)

    # Checkpoints.

    def _state_arrays(self):
        """{dotted name: the live ndarray} for every parameter and buffer: module by module in the order of
        `named_modules()`, each module's own parameters before its buffers. These are torch's keys and order."""
        arrays = {}
        for prefix, module in self.named_modules():
            for name, parameter in module.own_parameters():
                arrays[_join(prefix, name)] = parameter.data.data
            for name, buffer in module.own_buffers():
                arrays[_join(prefix, name)] = buffer
        return arrays

    # Printing.

    def extra_repr(self):
        """The settings shown between the parentheses of repr(module)."""
        return ""

    def __repr__(self):
        children = self.named_children()
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"{type(self).__name__}("]
        for name, child in children:
            lines.append(f"  ({name}): " + repr(child).replace("\n", "\n  "))
        return "\n".join(lines) + "\n)"


# %% nbgrader={"grade": true, "grade_id": "test-module-named-modules", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
def test_module_named_modules():
    """named_modules lists a module, then each child's subtree in assignment order, with dotted names."""

    class Leaf(Module):
        def __init__(self):
            self.weight = Parameter(np.ones(2))

    class Stack(Module):
        def __init__(self):
            self.first = Leaf()
            self.gain = Parameter(np.array(2.0))
            self.rest = [Leaf(), Leaf()]

    class Tree(Module):
        def __init__(self):
            self.stack = Stack()
            self.last = Leaf()

    leaf = Leaf()
    found = leaf.named_modules()
    assert len(found) == 1 and found[0][0] == "" and found[0][1] is leaf, f"a module without children: expected [('', module)], got {found}"

    tree = Tree()
    names = [name for name, _ in tree.named_modules()]
    expected = ["", "stack", "stack.first", "stack.rest.0", "stack.rest.1", "last"]
    assert names == expected, f"names, parents before children: expected {expected}, got {names}"
    modules = [module for _, module in tree.named_modules()]
    assert modules[0] is tree and modules[2] is tree.stack.first and modules[4] is tree.stack.rest[1], "each name must come with its own module"
    ### BEGIN HIDDEN TESTS
    nested = [name for name, _ in Stack().named_modules(prefix="model")]
    assert nested == ["model", "model.first", "model.rest.0", "model.rest.1"], f"named_modules(prefix): got {nested}"
    ### END HIDDEN TESTS

test_module_named_modules()

# %% [markdown]
# ### Listing the parameters
#
# `named_parameters()` goes through `named_modules()` in order and lists each module's own parameters, named
# by the module's dotted name and the attribute's. A layer used twice in one model (weight sharing) holds the
# same `Parameter` objects twice; an optimizer must see them once, or it would update them twice per step.
# Write `_named_parameters`.

# %% nbgrader={"grade": false, "grade_id": "module-named-parameters", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def _named_parameters(self):
    """`Module.named_parameters`: (dotted name, Parameter) for every Parameter in this module and those inside it.

    For each module of `named_modules()`, in order, its `own_parameters()`, named `_join(module name,
    parameter name)`. A Parameter met a second time (a layer used twice) is listed only the first time:
    compare with `is`, not `==`, or keep a set of `id(parameter)`.
    """
    ### BEGIN SOLUTION
    found, seen = [], set()
    for prefix, module in self.named_modules():
        for name, parameter in module.own_parameters():
            if id(parameter) not in seen:
                seen.add(id(parameter))
                found.append((_join(prefix, name), parameter))
    return found
    ### END SOLUTION


Module.named_parameters = _named_parameters

# %% nbgrader={"grade": true, "grade_id": "test-module-named-parameters", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
def test_module_named_parameters():
    """named_parameters walks the tree parents first, own parameters before children's, each parameter once."""

    class Affine(Module):
        def __init__(self, features):
            self.scale = Parameter(np.ones(features))
            self.shift = Parameter(np.zeros(features))

        def forward(self, x):
            return x * self.scale + self.shift

    class Stack(Module):
        def __init__(self):
            self.first = Affine(3)
            self.gain = Parameter(np.array(2.0))
            self.rest = [Affine(3), Affine(3)]

    class Pair(Module):
        def __init__(self):
            self.left = Affine(2)
            self.bias = Parameter(np.zeros(2))
            self.right = [Affine(2)]

        def forward(self, x):
            return self.right[0](self.left(x)) + self.bias

    pair = Pair()
    names = [name for name, _ in pair.named_parameters()]
    expected = ["bias", "left.scale", "left.shift", "right.0.scale", "right.0.shift"]
    assert names == expected, f"own parameters first, then each child's: expected {expected}, got {names}"
    assert all(isinstance(p, Parameter) for p in pair.parameters()), "parameters() should return the Parameters"
    assert pair.parameters()[1] is pair.left.scale, "parameters() must return the Parameter objects themselves, not copies"

    shared = Affine(2)
    twice = Stack()
    twice.rest = [shared, shared]
    names = [name for name, _ in twice.named_parameters()]
    expected = ["gain", "first.scale", "first.shift", "rest.0.scale", "rest.0.shift"]
    assert names == expected, f"a layer used twice is listed once: expected {expected}, got {names}"

    out = pair(np.ones((4, 2))).sum()
    out.backward()
    assert all(p.grad is not None for p in pair.parameters()), "backward() should reach every parameter"
    pair.zero_grad()
    assert all(p.grad is None for p in pair.parameters()), "zero_grad() should reset every parameter's grad to None"

test_module_named_parameters()

# %% [markdown]
# A small model to see the walk: a module whose own parameter (`gain`) was assigned after a child, and which
# holds a list of layers. The `Affine` layer shows all a layer needs to be: parameters as attributes and a
# `forward`. (The tests build similar small modules of their own.)

# %% nbgrader={"grade": false, "grade_id": "affine-example", "locked": true, "schema_version": 3, "solution": false, "task": false}
class Affine(Module):
    """y = x * scale + shift, element-wise, with one scale and one shift per feature."""

    def __init__(self, features):
        self.scale = Parameter(np.ones(features))
        self.shift = Parameter(np.zeros(features))

    def forward(self, x):
        return _as_variable(x) * self.scale + self.shift


class Stack(Module):
    def __init__(self):
        self.first = Affine(3)
        self.gain = Parameter(np.array(2.0))
        self.rest = [Affine(3), Affine(3)]

    def forward(self, x):
        x = self.first(x)
        for layer in self.rest:
            x = layer(x)
        return x * self.gain


# %%
stack = Stack()
print(stack)
print([name for name, _ in stack.named_modules()])
print([name for name, _ in stack.named_parameters()])

# %% [markdown]
# ### Training and evaluation mode
#
# `train(mode)` sets the `training` flag on the module and on every module inside it: a `Dropout` deep inside
# a model must hear about it too. It returns the module itself, so that `model = Model().eval()` works, as in
# PyTorch. `eval()`, given, is `train(False)`. Write `_train`.

# %% nbgrader={"grade": false, "grade_id": "module-train", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def _train(self, mode=True):
    """`Module.train`: set `training` to `mode` (a bool) on this module and every module inside it. Return self."""
    ### BEGIN SOLUTION
    for _, module in self.named_modules():
        module.training = bool(mode)
    return self
    ### END SOLUTION


Module.train = _train

# %% nbgrader={"grade": true, "grade_id": "test-module-train", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
def test_module_train():
    """train() and eval() set the training flag on every sub-module and return the module itself."""

    class Leaf(Module):
        def __init__(self):
            self.weight = Parameter(np.ones(2))

    class Stack(Module):
        def __init__(self):
            self.first = Leaf()
            self.rest = [Leaf(), Leaf()]

    stack = Stack()
    returned = stack.eval()
    assert returned is stack, "eval() (and train()) should return the module itself"
    flags = [module.training for _, module in stack.named_modules()]
    assert flags == [False] * 4, f"after eval(), every module should have training False, got {flags}"
    assert stack.train() is stack, "train() should return the module itself"
    flags = [module.training for _, module in stack.named_modules()]
    assert flags == [True] * 4, f"after train(), every module should have training True, got {flags}"
    stack.rest[0].train(False)
    flags = [module.training for _, module in stack.named_modules()]
    assert flags == [True, True, False, True], f"train(False) on one child changes that child only: got {flags}"
    assert stack.train(0).training is False, "train(mode) stores bool(mode)"

test_module_train()

# %% [markdown]
# ### Saving a checkpoint
#
# `state_dict()` maps every parameter's and buffer's dotted name to its array. The given helper
# `_state_arrays()` already finds them, in PyTorch's order, as the *live* arrays inside the model. A checkpoint
# must not change when training goes on, so `state_dict()` returns copies. Write `_state_dict`.

# %% nbgrader={"grade": false, "grade_id": "module-state-dict", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def _state_dict(self):
    """`Module.state_dict`: {dotted name: a copy of the ndarray} for every parameter and buffer, in
    `_state_arrays()` order. Copies, so that training on does not change a checkpoint already taken."""
    ### BEGIN SOLUTION
    return {name: np.array(array, copy=True) for name, array in self._state_arrays().items()}
    ### END SOLUTION


Module.state_dict = _state_dict

# %% nbgrader={"grade": true, "grade_id": "test-module-state-dict", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
def test_module_state_dict():
    """state_dict has torch's keys in torch's order, with copies of the arrays as values."""

    class Affine(Module):
        def __init__(self, features):
            self.scale = Parameter(np.ones(features))
            self.shift = Parameter(np.zeros(features))

    class Stack(Module):
        def __init__(self):
            self.first = Affine(3)
            self.gain = Parameter(np.array(2.0))
            self.rest = [Affine(3), Affine(3)]

    stack = Stack()
    state = stack.state_dict()
    keys = ["gain", "first.scale", "first.shift", "rest.0.scale", "rest.0.shift", "rest.1.scale", "rest.1.shift"]
    assert list(state) == keys, f"state_dict keys: expected {keys}, got {list(state)}"
    assert all(isinstance(value, np.ndarray) for value in state.values()), "state_dict values should be ndarrays"
    assert state["first.scale"].shape == (3,) and state["gain"].shape == (), "each value keeps its array's shape"
    stack.first.scale.data.data[:] = 5.0
    assert np.all(state["first.scale"] == 1.0), "state_dict() must copy: changing the model changed the checkpoint"

test_module_state_dict()

# %% [markdown]
# ### Loading a checkpoint
#
# `load_state_dict()` is the way back. It copies each value *into* the existing array (`array[...] = value`)
# instead of replacing the array: an optimizer created earlier holds those arrays and must keep seeing the
# model's weights. A checkpoint that does not fit the model (a key missing or extra, a shape that differs) is
# refused with a ValueError, and refused before anything is copied, so a failed load leaves the model as it
# was. Write `_load_state_dict`.

# %% nbgrader={"grade": false, "grade_id": "module-load-state-dict", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def _load_state_dict(self, state_dict):
    """`Module.load_state_dict`: copy the arrays of `state_dict` into this module's parameters and buffers, in place.

    The keys must be exactly those of `_state_arrays()`, and each value (anything np.asarray accepts,
    torch tensors included) must have its array's shape; otherwise raise a ValueError that names the
    missing, unexpected or mismatched keys, before changing anything. Values take each array's dtype.
    """
    ### BEGIN SOLUTION
    arrays = self._state_arrays()
    missing = sorted(set(arrays) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(arrays))
    if missing or unexpected:
        raise ValueError(f"state_dict keys do not match: missing {missing}, unexpected {unexpected}")
    values = {name: np.asarray(state_dict[name]) for name in arrays}
    for name, array in arrays.items():
        if values[name].shape != array.shape:
            raise ValueError(f"state_dict[{name!r}] has shape {values[name].shape}, expected {array.shape}")
    for name, array in arrays.items():
        array[...] = values[name]
    ### END SOLUTION


Module.load_state_dict = _load_state_dict

# %% nbgrader={"grade": true, "grade_id": "test-module-load-state-dict", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
def test_module_load_state_dict():
    """load_state_dict restores values in place, and refuses missing, extra or misshapen entries untouched."""

    class Affine(Module):
        def __init__(self, features):
            self.scale = Parameter(np.ones(features))
            self.shift = Parameter(np.zeros(features))

    class Stack(Module):
        def __init__(self):
            self.first = Affine(3)
            self.gain = Parameter(np.array(2.0))
            self.rest = [Affine(3), Affine(3)]

    stack = Stack()
    state = stack.state_dict()
    array = stack.first.scale.data.data
    array[:] = 5.0
    stack.load_state_dict(state)
    assert np.all(stack.first.scale.data.data == 1.0), "load_state_dict should restore the saved values"
    assert stack.first.scale.data.data is array, "load_state_dict must copy into the existing arrays (in place)"

    for broken in ({k: v for k, v in state.items() if k != "gain"}, {**state, "extra": np.zeros(1)},
                   {**state, "gain": np.zeros(3)}):
        with pytest.raises(ValueError):
            stack.load_state_dict(broken)
    assert stack.gain.item() == 2.0, "a rejected state_dict must not change the model"
    ### BEGIN HIDDEN TESTS
    listed = {**state, "first.shift": [7.0, 8.0, 9.0]}
    stack.load_state_dict(listed)
    assert stack.first.shift.data.data.tolist() == [7.0, 8.0, 9.0], "values may be lists (anything np.asarray accepts)"
    ### END HIDDEN TESTS

test_module_load_state_dict()

# %% [markdown]
# ## 2. The linear layer and its initial weights
#
# `Linear(in_features, out_features)` computes `y = x @ W.T + b` for a batch `x` of shape
# `(batch, in_features)`. Like PyTorch, we store `weight` with shape `(out_features, in_features)`: row `i`
# holds the weights of output unit `i`, and a `torch.nn.Linear`'s weights can be copied across unchanged.
# `bias` has shape `(out_features,)` and broadcasts over the batch; `bias=False` leaves it out (`self.bias`
# is then `None`). The bias starts at zero. (PyTorch draws it from a small uniform distribution; zero is just
# as common, and makes the experiments below depend on the weights alone.)
#
# ### Why the initial scale matters
#
# Take one output unit, `y = w_1 x_1 + ... + w_n x_n`, with `n = fan_in` inputs. If the weights are
# independent with mean 0 and variance `σ²`, and the inputs are independent of them, then
#
# $$\operatorname{Var}(y) = n\, \sigma^2\, \mathbb{E}[x^2].$$
#
# So each layer multiplies the mean square of the signal by `n σ²`, and then by whatever fraction of it the
# activation keeps. Stack 100 layers and that factor is applied 100 times: at 0.8 per layer the mean square
# shrinks by `0.8¹⁰⁰ ≈ 2·10⁻¹⁰`; at 1.2 it grows by `8·10⁷`. The backward pass has the same structure (each layer
# multiplies the gradient by `W.T` and the activation's derivative), so gradients vanish or explode in the
# same way, and the first layers either stop learning or receive absurd updates. Initialisation is chosen so
# that the factor is 1 *for the activation that follows*:
#
# | `init` | standard deviation | keeps the scale for | known as |
# | --- | --- | --- | --- |
# | `"he"` | `sqrt(2 / fan_in)` | ReLU: it zeroes half its inputs, so `E[relu(y)²] = Var(y) / 2` and the 2 makes up for it | He / Kaiming normal |
# | `"lecun"` | `sqrt(1 / fan_in)` | SELU and other activations with `E[f(y)²] ≈ Var(y)` | LeCun normal |
# | `"xavier"` | `sqrt(2 / (fan_in + fan_out))` | tanh and sigmoid: a compromise between the forward pass (wants `1/fan_in`) and the backward pass (wants `1/fan_out`) | Glorot / Xavier normal |
# | `"normal"` | `0.01` | nothing: the "small random numbers" of early networks | |
#
# Write `init_std`, which gives the standard deviation for each scheme of the table.

# %% nbgrader={"grade": false, "grade_id": "init-std", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
INIT_SCHEMES = ("he", "xavier", "lecun", "normal")


def init_std(init, fan_in, fan_out):
    """The standard deviation of the normal distribution that scheme `init` draws weights from.

    "he": sqrt(2 / fan_in); "xavier": sqrt(2 / (fan_in + fan_out)); "lecun": sqrt(1 / fan_in); "normal": 0.01.
    Any other name raises a ValueError listing INIT_SCHEMES. Returns a Python float.
    """
    ### BEGIN SOLUTION
    if init == "he":
        return math.sqrt(2.0 / fan_in)
    if init == "xavier":
        return math.sqrt(2.0 / (fan_in + fan_out))
    if init == "lecun":
        return math.sqrt(1.0 / fan_in)
    if init == "normal":
        return 0.01
    raise ValueError(f"unknown init {init!r}: choose one of {INIT_SCHEMES}")
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-init-std", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
def test_init_std():
    """Each scheme has its standard deviation, as a Python float; an unknown name is a ValueError."""
    expected = {"he": np.sqrt(2 / 200), "xavier": np.sqrt(2 / 300), "lecun": np.sqrt(1 / 200), "normal": 0.01}
    for init, std in expected.items():
        got = init_std(init, 200, 100)
        assert np.isclose(got, std), f"init_std({init!r}, fan_in=200, fan_out=100): expected {std:.6f}, got {got}"
        assert isinstance(got, float), f"init_std({init!r}, ...) should return a Python float, got {type(got).__name__}"
    with pytest.raises(ValueError):
        init_std("uniform", 10, 10)

test_init_std()

# %% [markdown]
# ### The Linear class
#
# All four schemes draw weights from a normal distribution with mean 0. The generator comes from
# `np.random.default_rng(rng)`, so `rng` may be `None` (fresh randomness), an integer seed, or a
# `numpy.random.Generator` shared by several layers. Draw the weights with `standard_normal` in float64 and
# multiply by the standard deviation, then convert to `dtype`: the same seed then gives the same weights (up
# to rounding) in float32 and float64.
#
# The class below is given except for `__init__`, which you write; `forward` comes in the next cell.

# %% nbgrader={"grade": false, "grade_id": "linear-class", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class Linear(Module):
    """A fully connected layer: y = x @ weight.T + bias.

    weight: Parameter of shape (out_features, in_features), drawn with `init` (see init_std).
    bias: Parameter of shape (out_features,), zeros; None when bias=False.
    `forward` is attached after the class.
    """

    def __init__(self, in_features, out_features, bias=True, init="he", dtype=np.float64, rng=None):
        """Store in_features and out_features, then create `weight` and `bias` as described above.

        Draw weight as np.random.default_rng(rng).standard_normal((out_features, in_features)) times
        init_std(...), then convert it to `dtype`.
        """
        ### BEGIN SOLUTION
        self.in_features, self.out_features = in_features, out_features
        std = init_std(init, in_features, out_features)
        weight = np.random.default_rng(rng).standard_normal((out_features, in_features)) * std
        self.weight = Parameter(weight.astype(dtype))
        self.bias = Parameter(np.zeros(out_features, dtype=dtype)) if bias else None
        ### END SOLUTION

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


# %% nbgrader={"grade": true, "grade_id": "test-linear-init", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
def test_linear_init():
    """Linear has torch's weight layout, zero bias, seeded weights drawn with init_std, and the dtype asked for."""
    layer = Linear(3, 2, rng=1)
    assert layer.in_features == 3 and layer.out_features == 2, "Linear(3, 2) should store in_features=3, out_features=2"
    assert layer.weight.shape == (2, 3), f"weight shape: expected (out, in) = (2, 3), got {layer.weight.shape}"
    assert layer.bias.shape == (2,) and np.all(layer.bias.data.data == 0), "bias: expected zeros of shape (2,)"
    assert isinstance(layer.weight, Parameter) and isinstance(layer.bias, Parameter), "weight and bias must be Parameters"
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"], "parameters: weight, then bias"
    same = Linear(3, 2, rng=1)
    assert np.array_equal(layer.weight.data.data, same.weight.data.data), "the same seed must give the same weights"

    expected = {"he": np.sqrt(2 / 200), "xavier": np.sqrt(2 / 300), "lecun": np.sqrt(1 / 200), "normal": 0.01}
    for init, std in expected.items():
        layer = Linear(200, 100, init=init, rng=0)
        measured = layer.weight.data.data.std()
        # 20,000 draws: the sample std is within 2% of the true one with overwhelming probability.
        assert abs(measured / std - 1) < 0.02, f"Linear(200, 100, init={init!r}): weight std {measured:.5f}, expected about {std:.5f}"
        assert abs(layer.weight.data.data.mean()) < 0.05 * std, f"init={init!r}: weights should have mean 0"

    plain = Linear(3, 2, bias=False, dtype=np.float32, rng=0)
    assert plain.bias is None and len(plain.parameters()) == 1, "bias=False: bias is None and only weight is a parameter"
    assert plain.weight.dtype == np.float32, f"dtype=float32: expected float32 weights, got {plain.weight.dtype}"
    wide = Linear(3, 2, rng=0)
    assert np.allclose(plain.weight.data.data, wide.weight.data.data, atol=1e-6), "the same seed gives the same weights in float32 and float64"

test_linear_init()

# %% [markdown]
# ### The forward pass
#
# `forward` computes `x @ W.T + b` with `Variable` operations, so autograd gives the gradients of the weights,
# the bias and the input. The input may be a `Variable` or a plain array (`_as_variable` handles both), and
# without a bias there is nothing to add. Write `_linear_forward`.

# %% nbgrader={"grade": false, "grade_id": "linear-forward", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def _linear_forward(self, x):
    """`Linear.forward`: x (batch, in_features), a Variable or an array, to (batch, out_features)."""
    ### BEGIN SOLUTION
    out = _as_variable(x) @ self.weight.T
    if self.bias is not None:
        out = out + self.bias
    return out
    ### END SOLUTION


Linear.forward = _linear_forward

# %% nbgrader={"grade": true, "grade_id": "test-linear-forward", "locked": true, "points": 7, "schema_version": 3, "solution": false, "task": false}
def test_linear_forward():
    """Linear computes x @ W.T + b and gets the gradients of a matrix product."""
    layer = Linear(3, 2, rng=1)
    W = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]])
    layer.weight.data.data[...] = W
    layer.bias.data.data[...] = [0.5, -0.5]
    x = np.array([[1.0, 2.0, 3.0], [-1.0, 0.0, 2.0]])
    y = layer(x)
    assert isinstance(y, Variable) and y.shape == (2, 2), f"output: expected a Variable of shape (2, 2), got {y!r}"
    assert np.allclose(y.data.data, x @ W.T + [0.5, -0.5]), f"forward: expected\n{x @ W.T + [0.5, -0.5]}\ngot\n{y.data.data}"

    upstream = np.array([[1.0, 0.0], [2.0, -1.0]])
    y.backward(upstream)
    assert np.allclose(layer.weight.grad.data.data, upstream.T @ x), f"weight.grad: expected upstream.T @ x, got\n{layer.weight.grad.data.data}"
    assert np.allclose(layer.bias.grad.data.data, upstream.sum(axis=0)), f"bias.grad: expected the column sums of upstream, got {layer.bias.grad.data.data}"

    plain = Linear(3, 2, bias=False, dtype=np.float32, rng=0)
    out = plain(np.ones((4, 3), dtype=np.float32))
    expected = np.ones((4, 3)) @ plain.weight.data.data.T
    assert out.shape == (4, 2) and np.allclose(out.data.data, expected, atol=1e-6), f"bias=False: expected x @ W.T, got\n{out.data.data}"
    assert out.dtype == np.float32, f"dtype=float32: expected a float32 output, got {out.dtype}"
    ### BEGIN HIDDEN TESTS
    xv = Variable(x.copy())
    layer.zero_grad()
    layer(xv).backward(upstream)
    assert np.allclose(xv.grad.data.data, upstream @ W), "the input receives upstream @ W"
    ### END HIDDEN TESTS

test_linear_forward()

# %% [markdown]
# ## 3. Activations
#
# Without a non-linearity between them, two linear layers are one linear layer (`W2 (W1 x) = (W2 W1) x`).
# The activation is what lets depth add expressive power. Each is an element-wise function built from
# `Variable` operations, so its gradient comes from autograd:
#
# | layer | output | derivative |
# | --- | --- | --- |
# | `ReLU` | `max(x, 0)` | 1 for `x > 0`, else 0 |
# | `Sigmoid` | `1 / (1 + e^-x)`, in (0, 1) | `s (1 - s)`, at most 1/4 |
# | `Tanh` | `tanh x`, in (-1, 1) | `1 - t²`, at most 1 |
# | `SELU` | `λ x` for `x > 0`, `λ α (e^x - 1)` otherwise | `λ` for `x > 0`, `λ α e^x` otherwise |
# | `Softmax` | `e^{x_i} / Σ_j e^{x_j}` along `axis` | a full Jacobian: `s_i (δ_ij - s_j)` |
#
# Each activation is a `Module` with no parameters and only a `forward`. The first three are one `Variable`
# operation each, written in the last module; `_as_variable` lets them take plain arrays as well. Write
# `ReLU.forward`.

# %% nbgrader={"grade": false, "grade_id": "relu", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class ReLU(Module):
    def forward(self, x):
        """max(x, 0), element-wise."""
        ### BEGIN SOLUTION
        return _as_variable(x).relu()
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-relu", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
def test_relu():
    """ReLU gives max(x, 0) as a Variable, with gradient 1 where x > 0 and 0 where x < 0."""
    points = np.array([[-3.0, -0.7, 0.4, 2.5]])
    x = Variable(points.copy())
    y = ReLU()(x)
    assert isinstance(y, Variable), f"ReLU should return a Variable, got {type(y).__name__}"
    assert np.allclose(y.data.data, np.maximum(points, 0)), f"ReLU: expected {np.maximum(points, 0)}, got {y.data.data}"
    y.sum().backward()
    expected = (points > 0).astype(float)
    assert np.allclose(x.grad.data.data, expected), f"ReLU gradient: expected {expected}, got {x.grad.data.data}"
    assert np.allclose(ReLU()(np.array([-1.0, 0.0, 2.0])).data.data, [0.0, 0.0, 2.0]), "ReLU should take a plain array"

test_relu()

# %% [markdown]
# Write `Sigmoid.forward`.

# %% nbgrader={"grade": false, "grade_id": "sigmoid", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class Sigmoid(Module):
    def forward(self, x):
        """1 / (1 + exp(-x)), element-wise."""
        ### BEGIN SOLUTION
        return _as_variable(x).sigmoid()
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-sigmoid", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
def test_sigmoid():
    """Sigmoid gives 1 / (1 + e^-x) as a Variable, with gradient s (1 - s)."""
    points = np.array([[-3.0, -0.7, 0.0, 0.4, 2.5]])
    x = Variable(points.copy())
    y = Sigmoid()(x)
    expected = 1 / (1 + np.exp(-points))
    assert isinstance(y, Variable), f"Sigmoid should return a Variable, got {type(y).__name__}"
    assert np.allclose(y.data.data, expected), f"Sigmoid: expected {expected}, got {y.data.data}"
    y.sum().backward()
    slope = expected * (1 - expected)
    assert np.allclose(x.grad.data.data, slope), f"Sigmoid gradient: expected {slope}, got {x.grad.data.data}"

test_sigmoid()

# %% [markdown]
# Write `Tanh.forward`.

# %% nbgrader={"grade": false, "grade_id": "tanh", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class Tanh(Module):
    def forward(self, x):
        """tanh(x), element-wise."""
        ### BEGIN SOLUTION
        return _as_variable(x).tanh()
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-tanh", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
def test_tanh():
    """Tanh gives tanh(x) as a Variable, with gradient 1 - t²."""
    points = np.array([[-3.0, -0.7, 0.0, 0.4, 2.5]])
    x = Variable(points.copy())
    y = Tanh()(x)
    expected = np.tanh(points)
    assert isinstance(y, Variable), f"Tanh should return a Variable, got {type(y).__name__}"
    assert np.allclose(y.data.data, expected), f"Tanh: expected {expected}, got {y.data.data}"
    y.sum().backward()
    slope = 1 - expected ** 2
    assert np.allclose(x.grad.data.data, slope), f"Tanh gradient: expected {slope}, got {x.grad.data.data}"

test_tanh()

# %% [markdown]
# **SELU** (Klambauer et al., 2017) uses two constants, `α ≈ 1.6733` and `λ ≈ 1.0507`, chosen so that inputs
# with mean 0 and variance 1 give outputs with mean 0 and variance 1. With LeCun initialisation, a deep stack
# of SELU layers keeps its activations normalised by itself. Build it from `relu` and `exp`: `min(x, 0)` is
# `x - x.relu()`, and `exp(min(x, 0))` never overflows, where `exp(x)` for a large positive `x` would. Write
# `SELU.forward`.

# %% nbgrader={"grade": false, "grade_id": "selu", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


class SELU(Module):
    def forward(self, x):
        """SELU_SCALE * (max(x, 0) + SELU_ALPHA * (exp(min(x, 0)) - 1)), element-wise, without overflow."""
        ### BEGIN SOLUTION
        x = _as_variable(x)
        positive = x.relu()
        negative = x - positive  # min(x, 0)
        return (positive + (negative.exp() - 1.0) * SELU_ALPHA) * SELU_SCALE
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test-selu", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
def test_selu():
    """SELU: λ x above 0, λ α (e^x - 1) below, the matching gradient, and finite at ±1000."""
    points = np.array([[-3.0, -0.7, 0.4, 2.5]])
    x = Variable(points.copy())
    y = SELU()(x)
    expected = np.where(points > 0, SELU_SCALE * points, SELU_SCALE * SELU_ALPHA * (np.exp(points) - 1))
    assert isinstance(y, Variable), f"SELU should return a Variable, got {type(y).__name__}"
    assert np.allclose(y.data.data, expected), f"SELU: expected {expected}, got {y.data.data}"
    y.sum().backward()
    slope = np.where(points > 0, SELU_SCALE, SELU_SCALE * SELU_ALPHA * np.exp(points))
    assert np.allclose(x.grad.data.data, slope), f"SELU gradient: expected {slope}, got {x.grad.data.data}"

    extremes = Variable(np.array([-1000.0, 1000.0]))
    huge = SELU()(extremes)
    assert np.all(np.isfinite(huge.data.data)), f"SELU(±1000) must be finite, got {huge.data.data}"
    huge.sum().backward()
    assert np.all(np.isfinite(extremes.grad.data.data)), f"the gradient of SELU at ±1000 must be finite, got {extremes.grad.data.data}"

test_selu()

# %% [markdown]
# **Softmax** turns scores into probabilities. `e^{1000}` overflows, but softmax does not change when the same
# constant is subtracted from every score (`e^{x_i - c} / Σ_j e^{x_j - c}`: the `e^{-c}` cancels). Subtract
# the largest score along `axis` first and every exponent is at most 0. The shift is a constant: take it from
# the ndarray (`x.data.data.max(...)`), not from a `Variable` operation, so autograd does not send gradients
# through it (they would add up to zero anyway). Write `Softmax.forward`.

# %% nbgrader={"grade": false, "grade_id": "softmax", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class Softmax(Module):
    """exp(x) / exp(x).sum(axis), computed after subtracting the maximum along `axis`."""

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        """Probabilities along `self.axis`: exp(x - max) / sum(exp(x - max)), the max taken from the ndarray."""
        ### BEGIN SOLUTION
        x = _as_variable(x)
        shifted = x - x.data.data.max(axis=self.axis, keepdims=True)
        exps = shifted.exp()
        return exps / exps.sum(axis=self.axis, keepdims=True)
        ### END SOLUTION

    def extra_repr(self):
        return f"axis={self.axis}"


# %% nbgrader={"grade": true, "grade_id": "test-softmax", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
def test_softmax():
    """Softmax: probabilities along the chosen axis, no overflow at 1000, and the Jacobian s_i (δ_ij - s_j)."""
    scores = np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, -1000.0]])
    probs = Softmax()(scores).data.data
    expected = np.array([np.exp([1.0, 2.0, 3.0]) / np.exp([1.0, 2.0, 3.0]).sum(), [0.5, 0.5, 0.0]])
    assert np.allclose(probs, expected), f"Softmax: expected\n{expected}\ngot\n{probs}"
    columns = Softmax(axis=0)(scores[:1].T).data.data
    assert np.allclose(columns.ravel(), expected[0]), f"Softmax(axis=0) on a column: expected {expected[0]}, got {columns.ravel()}"

    x = Variable(np.array([[0.5, -1.0, 2.0]]))
    s = Softmax()(x)
    weights = np.array([[1.0, 0.0, 0.0]])
    (s * weights).sum().backward()
    p = s.data.data
    assert np.allclose(x.grad.data.data, p[0, 0] * (weights - p)), f"Softmax gradient: expected {p[0, 0] * (weights - p)}, got {x.grad.data.data}"

test_softmax()

# %% [markdown]
# ## 4. Sequential
#
# Most models are a chain: the output of one layer is the input of the next. `Sequential(*layers)` holds the
# layers in a list and names them `0`, `1`, `2`, ... (it overrides `named_children`). Its `forward` feeds the
# input through the layers in order. `Flatten`, given, turns a batch of images `(N, H, W)` into rows
# `(N, H·W)` so a `Linear` layer can take it.

# %% nbgrader={"grade": false, "grade_id": "sequential", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class Sequential(Module):
    """Layers applied one after the other; named "0", "1", ... as in torch.nn.Sequential."""

    def __init__(self, *layers):
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        for layer in layers:
            if not isinstance(layer, Module):
                raise TypeError(f"Sequential takes Modules, got {type(layer).__name__}")
        self.layers = list(layers)

    def named_children(self):
        return [(str(index), layer) for index, layer in enumerate(self.layers)]

    def forward(self, x):
        """The output of the last layer, each layer taking the previous layer's output."""
        ### BEGIN SOLUTION
        for layer in self.layers:
            x = layer(x)
        return x
        ### END SOLUTION

    def append(self, layer):
        self.layers.append(layer)
        return self

    def __getitem__(self, index):
        return self.layers[index]

    def __len__(self):
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)


class Flatten(Module):
    """(N, d1, d2, ...) to (N, d1 * d2 * ...): one row per example."""

    def forward(self, x):
        x = _as_variable(x)
        return x.reshape(x.shape[0], -1)


# %% nbgrader={"grade": true, "grade_id": "test-sequential", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
def test_sequential():
    """Sequential chains its layers and names their parameters "0.weight", "0.bias", "2.weight", ..."""
    model = Sequential(Linear(4, 5, rng=0), ReLU(), Linear(5, 2, rng=1))
    names = [name for name, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias"], f"parameter names: got {names}"
    x = np.random.default_rng(2).normal(size=(3, 4))
    first, second = model[0], model[2]
    hidden = np.maximum(x @ first.weight.data.data.T, 0)
    expected = hidden @ second.weight.data.data.T
    out = model(x)
    assert out.shape == (3, 2) and np.allclose(out.data.data, expected), f"forward: expected\n{expected}\ngot\n{out.data.data}"
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters()), "every layer's parameters should get gradients"
    assert list(model.state_dict()) == names, "state_dict keys of a Sequential of Linear layers are its parameter names"

    flat = Sequential(Flatten(), Linear(6, 1, rng=0))
    assert flat(np.ones((4, 2, 3))).shape == (4, 1), "Flatten then Linear(6, 1) on (4, 2, 3): expected (4, 1)"

test_sequential()

# %% [markdown]
# ## 5. Initialisation in a deep network
#
# Time to test the table of section 2. Below, a batch of 256 random inputs goes through 100 layers of width
# 128, each `Linear` followed by an activation. We record the standard deviation of every layer's output on
# the way forward, then send a random unit-scale gradient back from the last layer and record the standard
# deviation of each layer's weight gradient: the size of the update that layer would get.

# %%
def depth_experiment(activation, init, depth=100, width=128, batch=256, seed=0):
    """Activation std after each layer, and weight-gradient std of each layer, for a deep stack."""
    rng = np.random.default_rng(seed)
    layers = []
    for _ in range(depth):
        layers += [Linear(width, width, init=init, rng=rng), activation()]
    model = Sequential(layers)
    x = rng.standard_normal((batch, width))
    stds = []
    for layer in model:
        x = layer(x)
        if not isinstance(layer, Linear):
            stds.append(x.data.data.std())
    x.backward(rng.standard_normal(x.shape))
    grads = [layer.weight.grad.data.data.std() for layer in model if isinstance(layer, Linear)]
    return np.array(stds), np.array(grads)


setups = {
    "sigmoid, Xavier": (Sigmoid, "xavier"),
    "ReLU, normal(0.01)": (ReLU, "normal"),
    "ReLU, He": (ReLU, "he"),
    "SELU, LeCun": (SELU, "lecun"),
}
results = {label: depth_experiment(*setup) for label, setup in setups.items()}

fig, (ax_forward, ax_backward) = plt.subplots(1, 2, figsize=(11, 3.8))
for label, (stds, grads) in results.items():
    ax_forward.semilogy(np.arange(1, len(stds) + 1), stds, label=label)
    ax_backward.semilogy(np.arange(1, len(grads) + 1), grads, label=label)
ax_forward.set(xlabel="layer", ylabel="std of the layer's output", title="forward: activations")
ax_backward.set(xlabel="layer", ylabel="std of the weight gradient", title="backward: gradients")
ax_backward.legend()
plt.tight_layout()
plt.show()

for label, (stds, grads) in results.items():
    print(f"{label:20s} output std at layer 100: {stds[-1]:9.2e}   "
          f"weight-gradient std at layer 100: {grads[-1]:9.2e}, at layer 1: {grads[0]:9.2e}")

# %% [markdown]
# Read the two panels together:
#
# - **ReLU with He** keeps both curves level over 100 layers: every layer receives an update of about the
#   same size, which is what lets a deep network train.
# - **SELU with LeCun** keeps the activations at a standard deviation of almost exactly 1, the
#   "self-normalising" property. Its gradients grow slowly on the way back (the mean square of SELU's
#   derivative on standard normal inputs is about 1.07, so about 3.5% per layer in scale, a factor of a few
#   dozen over 100 layers): a drift, not a collapse.
# - **ReLU with `normal(0.01)`** shrinks the signal by a constant factor per layer (here `sqrt(128 / 2) · 0.01
#   ≈ 0.08`) until the output is numerically nothing. Going backward, the gradient shrinks by the same factor
#   per layer. A layer's weight gradient is the product of its input (small near the output) and the gradient
#   arriving from above (small near the input), so every layer's gradient is about `10^-108`: the whole
#   network is frozen, not just one end of it.
# - **Sigmoid with Xavier** looks harmless going forward: outputs hover around 0.5 with a small, stable
#   spread. The damage is in the backward pass. Each layer multiplies the gradient by the sigmoid's
#   derivative, at most 1/4, and Xavier's weights do not make up for it, so the gradient reaching layer 1 is
#   some sixty orders of magnitude smaller than at layer 100. This is the vanishing-gradient problem that held
#   back deep networks until ReLU and careful initialisation.
#
# The fix is a *pair*: the initialisation must match the activation. He's factor 2 is exactly ReLU's halving;
# SELU's constants are tuned for LeCun's `1 / fan_in`.

# %% [markdown]
# ## 6. Dropout
#
# A large network can memorise its training set. **Dropout** (Srivastava et al., 2014) fights this by setting
# each activation to zero with probability `p` during training, a fresh random choice for every batch. No unit
# can rely on a particular other unit being there, so the network learns redundant features, and each batch
# trains a different "thinned" network that shares weights with all the others.
#
# At test time we want the average of all those thinned networks, not one random sample. *Inverted* dropout,
# which PyTorch uses, arranges this cheaply: during training the kept activations are divided by `1 - p`, so
# each activation's expected value is unchanged (`(1 - p) · x / (1 - p) = x`), and in evaluation mode the
# layer does nothing at all.
#
# Write `Dropout.forward`:
#
# - in evaluation mode (`self.training` is False), or when `p == 0`, return the input unchanged;
# - when `p == 1`, every unit is dropped: return `x * 0.0`;
# - otherwise draw `self.rng.random(x.shape)`, keep the entries where it is `>= p`, and multiply `x` by a mask
#   that holds `1 / (1 - p)` where kept and 0 elsewhere, in `x`'s dtype. Multiplying by the mask makes autograd
#   send the gradient through the same mask.
#
# The generator is made once, in the constructor, so `Dropout(0.5, rng=0)` gives a reproducible *sequence* of
# masks while each batch still gets a new one.

# %% nbgrader={"grade": false, "grade_id": "dropout", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class Dropout(Module):
    """Inverted dropout: in training, zero each element with probability p and scale the rest by 1 / (1 - p)."""

    def __init__(self, p=0.5, rng=None):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability must be between 0 and 1, got {p}")
        self.p = float(p)
        self.rng = np.random.default_rng(rng)

    def forward(self, x):
        """In training, x times a fresh random mask of 0 and 1 / (1 - p); in evaluation, x unchanged."""
        ### BEGIN SOLUTION
        x = _as_variable(x)
        if not self.training or self.p == 0.0:
            return x
        if self.p == 1.0:
            return x * 0.0
        keep = self.rng.random(x.shape) >= self.p
        return x * (keep.astype(x.dtype) / (1.0 - self.p))
        ### END SOLUTION

    def extra_repr(self):
        return f"p={self.p}"


# %% nbgrader={"grade": true, "grade_id": "test-dropout", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
def test_dropout():
    """Dropout keeps a fraction 1 - p, scales the kept by 1 / (1 - p), is seedable, and is the identity in eval."""
    x = Variable(np.ones((200, 500)))
    dropout = Dropout(0.3, rng=0)
    y = dropout(x)
    values = y.data.data
    kept = values != 0
    assert np.allclose(values[kept], 1 / 0.7), f"kept values should be 1 / (1 - p) = {1 / 0.7:.4f}, got {np.unique(values[kept])[:5]}"
    # 100,000 coin flips: the kept fraction is within 0.005 of 0.7 with overwhelming probability.
    assert abs(kept.mean() - 0.7) < 0.005, f"fraction kept: expected about 0.7, got {kept.mean():.4f}"
    y.backward(np.full(x.shape, 2.0))
    assert np.allclose(x.grad.data.data, 2.0 * values), "the gradient must pass through the same mask (times 1 / (1 - p))"

    again = Dropout(0.3, rng=0)(np.ones((200, 500))).data.data
    assert np.array_equal(again, values), "the same seed must give the same mask"
    assert not np.array_equal(dropout(np.ones((200, 500))).data.data, values), "each call draws a new mask"

    dropout.eval()
    z = Variable(np.arange(6.0))
    assert np.array_equal(dropout(z).data.data, z.data.data), "in eval mode Dropout must return its input unchanged"
    dropout.train()
    assert np.all(Dropout(1.0)(np.ones(10)).data.data == 0), "p = 1 drops everything"
    assert np.array_equal(Dropout(0.0)(np.arange(4.0)).data.data, np.arange(4.0)), "p = 0 keeps everything"
    assert Dropout(0.5, rng=1)(np.ones(4, dtype=np.float32)).dtype == np.float32, "float32 input should give float32 output"

test_dropout()

# %% [markdown]
# ## 7. Batch normalisation
#
# Good initialisation makes the scales right *at the start*. As training changes the weights, each layer's
# input distribution drifts again. **Batch normalisation** (Ioffe & Szegedy, 2015) renormalises inside the
# network: for each feature `j`, over the batch,
#
# $$\mu_j = \frac{1}{N} \sum_i x_{ij}, \qquad \sigma_j^2 = \frac{1}{N} \sum_i (x_{ij} - \mu_j)^2, \qquad
# y_{ij} = \gamma_j \frac{x_{ij} - \mu_j}{\sqrt{\sigma_j^2 + \epsilon}} + \beta_j .$$
#
# The learnable `weight` (`γ`, ones at first) and `bias` (`β`, zeros) let the network undo the normalisation
# where that helps; `ε` keeps the division safe for a constant feature. Because `μ` and `σ` are computed from
# the batch with `Variable` operations, autograd differentiates through them: each example's gradient depends
# on the rest of the batch, which is part of why batch norm works.
#
# At prediction time there may be a single example, and its output must not depend on what else is in the
# batch. So during training the layer also keeps **running averages** of the batch statistics, and in
# evaluation mode it normalises with those instead. They are buffers: saved in `state_dict`, never trained.
# We follow PyTorch exactly:
#
# - after each training batch, `running = (1 - momentum) · running + momentum · batch_statistic`
#   (`momentum=None` means a plain cumulative average: the factor is `1 / num_batches_tracked`);
# - the batch normalises with the *biased* variance (divide by `N`), but the running variance is updated with
#   the *unbiased* one (divide by `N - 1`), an estimate of the population's variance;
# - `num_batches_tracked` counts the training batches (an int64 array with no axes, so it can be loaded in
#   place).
#
# `BatchNorm1d` takes inputs of shape `(N, num_features)`. In training mode a batch of one example has no
# spread to measure; like PyTorch, raise a ValueError.
#
# The class below is given except for `update_running_stats`, which you write: the bookkeeping of the running
# averages, on plain ndarrays. `forward` comes in the next cell.

# %% nbgrader={"grade": false, "grade_id": "batchnorm", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
class BatchNorm1d(Module):
    """Normalise each feature over the batch, then scale by `weight` and shift by `bias` (torch semantics).

    weight, bias: Parameters of shape (num_features,), ones and zeros.
    running_mean, running_var: buffers of shape (num_features,), zeros and ones; num_batches_tracked: int64, 0.
    `forward` is attached after the class.
    """

    buffer_names = ("running_mean", "running_var", "num_batches_tracked")

    def __init__(self, num_features, eps=1e-5, momentum=0.1, dtype=np.float64):
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.weight = Parameter(np.ones(num_features, dtype=dtype))
        self.bias = Parameter(np.zeros(num_features, dtype=dtype))
        self.running_mean = np.zeros(num_features, dtype=dtype)
        self.running_var = np.ones(num_features, dtype=dtype)
        self.num_batches_tracked = np.array(0, dtype=np.int64)

    def update_running_stats(self, batch_mean, batch_var):
        """Add 1 to num_batches_tracked, then move the running statistics towards the batch's, in place.

        batch_mean and batch_var (the unbiased variance) are ndarrays. With factor = momentum, or
        1 / num_batches_tracked when momentum is None: running = (1 - factor) * running + factor * batch.
        """
        ### BEGIN SOLUTION
        self.num_batches_tracked += 1
        factor = self.momentum if self.momentum is not None else 1.0 / int(self.num_batches_tracked)
        self.running_mean[...] = (1 - factor) * self.running_mean + factor * batch_mean
        self.running_var[...] = (1 - factor) * self.running_var + factor * batch_var
        ### END SOLUTION

    def extra_repr(self):
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


# %% nbgrader={"grade": true, "grade_id": "test-batchnorm-running-stats", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
def test_batchnorm_running_stats():
    """update_running_stats counts batches and moves the running averages in place, by momentum or cumulatively."""
    norm = BatchNorm1d(3)
    mean_array, var_array = norm.running_mean, norm.running_var
    batch_mean, batch_var = np.array([1.0, -2.0, 5.0]), np.array([4.0, 0.25, 9.0])
    norm.update_running_stats(batch_mean, batch_var)
    assert int(norm.num_batches_tracked) == 1, f"num_batches_tracked: expected 1, got {norm.num_batches_tracked}"
    assert np.allclose(norm.running_mean, 0.1 * batch_mean), f"running_mean after one batch: expected {0.1 * batch_mean}, got {norm.running_mean}"
    assert np.allclose(norm.running_var, 0.9 + 0.1 * batch_var), f"running_var after one batch: expected {0.9 + 0.1 * batch_var}, got {norm.running_var}"
    assert norm.running_mean is mean_array and norm.running_var is var_array, "update the running arrays in place"
    assert norm.num_batches_tracked.dtype == np.int64 and norm.num_batches_tracked.shape == (), "num_batches_tracked stays an int64 array with no axes"

    cumulative = BatchNorm1d(2, momentum=None)
    means = [np.array([1.0, 2.0]), np.array([3.0, -2.0]), np.array([-1.0, 6.0])]
    for mean in means:
        cumulative.update_running_stats(mean, np.ones(2))
    assert np.allclose(cumulative.running_mean, np.mean(means, axis=0)), f"momentum=None: running_mean is the average of the batch means, expected {np.mean(means, axis=0)}, got {cumulative.running_mean}"
    assert int(cumulative.num_batches_tracked) == 3, f"num_batches_tracked: expected 3, got {cumulative.num_batches_tracked}"

test_batchnorm_running_stats()

# %% [markdown]
# ### The forward pass
#
# In training mode, compute the batch's mean and biased variance with `Variable` operations, so gradients
# flow through them; hand their ndarrays to `update_running_stats`, the variance made unbiased (times
# `N / (N - 1)`); then normalise, scale and shift. In evaluation mode, normalise with the running statistics,
# which are plain ndarrays (constants to autograd). The checks of the input's shape are given. Write
# `_batchnorm_forward`.

# %% nbgrader={"grade": false, "grade_id": "batchnorm-forward", "locked": false, "schema_version": 3, "solution": true, "task": false}
#| export
def _batchnorm_forward(self, x):
    """`BatchNorm1d.forward`: in training, normalise with the batch's mean and biased variance (Variable
    operations, so gradients flow through them) and update the running statistics; in evaluation, normalise
    with the running ones. Then scale by `weight` and shift by `bias`."""
    x = _as_variable(x)
    if x.ndim != 2 or x.shape[1] != self.num_features:
        raise ValueError(f"BatchNorm1d({self.num_features}) expects input (N, {self.num_features}), got {x.shape}")
    if self.training and x.shape[0] < 2:
        raise ValueError("BatchNorm1d needs more than one example per batch in training mode")
    ### BEGIN SOLUTION
    if self.training:
        n = x.shape[0]
        mean = x.mean(axis=0)
        centered = x - mean
        variance = (centered * centered).mean(axis=0)
        self.update_running_stats(mean.data.data, variance.data.data * (n / (n - 1)))
        normalized = centered / (variance + self.eps).sqrt()
    else:
        normalized = (x - self.running_mean) / np.sqrt(self.running_var + self.eps)
    return normalized * self.weight + self.bias
    ### END SOLUTION


BatchNorm1d.forward = _batchnorm_forward

# %% nbgrader={"grade": true, "grade_id": "test-batchnorm-forward", "locked": true, "points": 8, "schema_version": 3, "solution": false, "task": false}
def test_batchnorm_forward():
    """BatchNorm1d normalises with batch statistics in training, tracks running ones, and uses them in eval."""
    rng = np.random.default_rng(0)
    norm = BatchNorm1d(3)
    x = rng.normal(loc=[1.0, -2.0, 5.0], scale=[1.0, 0.5, 3.0], size=(8, 3))
    norm.weight.data.data[...] = [1.0, 2.0, 0.5]
    norm.bias.data.data[...] = [0.0, 1.0, -1.0]
    y = norm(x).data.data
    expected = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + 1e-5) * [1.0, 2.0, 0.5] + [0.0, 1.0, -1.0]
    assert np.allclose(y, expected), f"training forward: expected\n{expected}\ngot\n{y}"
    assert np.allclose(norm.running_mean, 0.1 * x.mean(axis=0)), f"running_mean after one batch: expected {0.1 * x.mean(axis=0)}, got {norm.running_mean}"
    unbiased = x.var(axis=0, ddof=1)
    assert np.allclose(norm.running_var, 0.9 + 0.1 * unbiased), f"running_var uses the unbiased variance: expected {0.9 + 0.1 * unbiased}, got {norm.running_var}"
    assert int(norm.num_batches_tracked) == 1, f"num_batches_tracked: expected 1, got {norm.num_batches_tracked}"

    norm.eval()
    single = x[:1]
    z = norm(single).data.data
    expected = (single - norm.running_mean) / np.sqrt(norm.running_var + 1e-5) * [1.0, 2.0, 0.5] + [0.0, 1.0, -1.0]
    assert np.allclose(z, expected), f"eval forward uses the running statistics: expected {expected}, got {z}"
    assert int(norm.num_batches_tracked) == 1, "eval mode must not change the running statistics"

    assert [name for name, _ in norm.named_parameters()] == ["weight", "bias"], "parameters: weight, then bias"
    keys = ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert list(norm.state_dict()) == keys, f"state_dict keys: expected {keys}, got {list(norm.state_dict())}"
    with pytest.raises(ValueError):
        BatchNorm1d(3)(np.ones((1, 3)))
    ### BEGIN HIDDEN TESTS
    inputs = Variable(x.copy())
    fresh = BatchNorm1d(3)
    fresh(inputs).backward(np.arange(24.0).reshape(8, 3))
    assert np.allclose(inputs.grad.data.data.sum(axis=0), 0), "batch-norm input gradients sum to zero over the batch"
    ### END HIDDEN TESTS

test_batchnorm_forward()

# %% [markdown]
# Batch norm on the sigmoid network of section 5: the same 100 layers, now `Linear → BatchNorm1d → Sigmoid`.
# Normalising before each sigmoid keeps its inputs in the range where its slope is largest, and the layer's
# backward pass divides the gradient by the batch's spread, which undoes the shrinking.

# %%
def sigmoid_gradients(with_batchnorm, depth=100, width=128, batch=256, seed=0):
    rng = np.random.default_rng(seed)
    model = Sequential()
    for _ in range(depth):
        model.append(Linear(width, width, init="xavier", rng=rng))
        if with_batchnorm:
            model.append(BatchNorm1d(width))
        model.append(Sigmoid())
    out = model(rng.standard_normal((batch, width)))
    out.backward(rng.standard_normal(out.shape))
    return [layer.weight.grad.data.data.std() for layer in model if isinstance(layer, Linear)]


fig, ax = plt.subplots(figsize=(6.5, 3.5))
layer_numbers = np.arange(1, 101)
ax.semilogy(layer_numbers, sigmoid_gradients(False), label="Linear → Sigmoid")
ax.semilogy(layer_numbers, sigmoid_gradients(True), label="Linear → BatchNorm1d → Sigmoid")
ax.set(xlabel="layer", ylabel="std of the weight gradient", title="100 sigmoid layers, Xavier init")
ax.legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Question 1: matching the initialisation to the activation
#
# A 50-layer network of width 256 uses ReLU everywhere. (a) With He initialisation, by what factor does the
# mean square of the activations change from one layer to the next, and why? (b) Your colleague draws all
# weights from a standard normal (`std = 1`) instead. Estimate the size of the activations after 50 layers and
# say what happens to training. (c) Why does the sigmoid network of section 5 lose its gradients even though
# its forward activations stay at a reasonable size?

# %% [markdown] nbgrader={"grade": true, "grade_id": "question-initialisation", "locked": false, "points": 10, "schema_version": 3, "solution": true, "task": false}
# (a) About 1. A unit's pre-activation is a sum of `fan_in = 256` products, so its variance is
# `256 · σ² · E[x²]`. With He, `σ² = 2 / 256`, which gives `Var(y) = 2 E[x²]`. ReLU sets the negative half of
# a symmetric `y` to zero, so `E[relu(y)²] = Var(y) / 2 = E[x²]`: the mean square is preserved layer after
# layer, and the same argument (with fan-out) holds approximately for the gradients.
#
# (b) With `σ = 1` the mean square grows by `256 · 1 / 2 = 128` per layer, so the typical size of an
# activation grows by `sqrt(128) ≈ 11` per layer: after 50 layers it is about `11^50 ≈ 10^52` times the
# input's. In float32 (largest number about `3·10^38`) the activations overflow to `inf` after roughly 37
# layers, and the loss and gradients become `inf` and `nan` at the first step. Even in float64 the gradients
# are astronomically large and differ by dozens of orders of magnitude between layers, so no learning rate
# suits them all: training diverges or nothing but the last layers moves.
#
# (c) The sigmoid's output is bounded in (0, 1), so the forward pass cannot explode or vanish: the outputs
# settle near 0.5. But backward, every layer multiplies the gradient by the sigmoid's derivative, which is at
# most 1/4 (and about 0.2 in practice), and Xavier's weights scale it by roughly `sqrt(2)` at most. The
# product, well below 1, is applied once per layer, so after 100 layers the gradient at the first layer is
# smaller by a factor like `0.3^100 ≈ 10^-52`: those layers receive no useful update. In addition, the outputs
# are all positive (mean 0.5), which biases the next layer's pre-activations.

# %% [markdown]
# ## Question 2: forgetting `eval()`
#
# A model containing `Dropout(0.5)` and `BatchNorm1d` layers has been trained. You measure its accuracy on
# the test set but forget to call `model.eval()`. For each of the two layers, what goes wrong? Consider
# (a) predicting one test example at a time, and (b) predicting test batches of 500 examples whose input
# distribution differs a little from the training data.

# %% [markdown] nbgrader={"grade": true, "grade_id": "question-eval-mode", "locked": false, "points": 10, "schema_version": 3, "solution": true, "task": false}
# **Dropout** stays random: every prediction uses a different random half of the units, with the survivors
# doubled. The outputs are noisy samples from the thinned networks instead of their average, so the same
# input gets different predictions on different calls and the measured accuracy is lower and varies from run
# to run. This happens for single examples and batches alike.
#
# **BatchNorm1d** keeps normalising with the statistics of the current batch and keeps updating its running
# averages with test data. (a) With one example per batch it cannot compute a spread at all: our layer (like
# PyTorch) raises an error. If it did not, the example minus its own mean would be zero and every prediction
# would be the same constant `β`. (b) With batches of 500, the outputs depend on which other examples are in
# the batch: each example is normalised with the test batch's mean and variance, not the training statistics
# the next layers were trained on. A shift in the input distribution is silently removed (so the model does
# not see it), predictions change with the batch composition, and the running statistics are overwritten by
# test data, which corrupts the model for later use in evaluation mode.

# %% [markdown]
# ## What you built
#
# - `Parameter` and `Module`: a tree of layers that lists its parameters in torch's order, switches every layer
#   between training and evaluation, and saves and restores itself with torch-compatible `state_dict` keys.
# - `Linear` with He, Xavier, LeCun and naive initialisation, and the experiment that shows why the
#   initialisation has to match the activation.
# - `ReLU`, `Sigmoid`, `Tanh`, `SELU`, `Softmax`, `Sequential`, `Flatten`.
# - `Dropout` and `BatchNorm1d`, the two layers whose behaviour depends on `training`.
#
# The next module adds the other half of a training step: loss functions that turn a model's outputs and the
# targets into one number to call `backward()` on.
