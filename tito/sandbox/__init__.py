"""Run untrusted code in a child process that can return plain data and nothing else.

`client.Sandbox` is the trusted side. It starts a zygote (`zygote.py`, a clean interpreter with numpy
imported) once, and the zygote forks one isolated child per submission (`runtime.py`).
"""
