"""The core of tinytorch: tensors, autograd, optimizers, layers, losses and training."""
