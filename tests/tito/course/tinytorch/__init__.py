"""TinyTorch: a small deep-learning library built from numpy, one course module at a time.

The files under `tinytorch/core/` are written by `tito export` from the module sources in `modules/`.
"""

__version__ = "0.1.0"
