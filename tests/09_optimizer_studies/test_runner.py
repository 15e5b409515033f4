"""The experiment runner of tinytorch.experiments: process pools, the cache, resuming, and executors."""

import json
import subprocess
import sys

import numpy as np
import pytest

from tinytorch import experiments
from tinytorch.experiments import ResultCache, config_key, grid, run_grid, split_cached, summarize, train_config

TINY = {"epochs": 3, "samples_per_arm": 30}


def _rows(table):
    return table.to_dict("records") if hasattr(table, "to_dict") else table


def _same(rows_a, rows_b):
    """Tables equal entry by entry, nan equal to nan."""
    assert len(rows_a) == len(rows_b)
    for a, b in zip(rows_a, rows_b):
        assert a.keys() == b.keys()
        for name in a:
            if isinstance(a[name], float) and np.isnan(a[name]):
                assert np.isnan(b[name]), name
            else:
                assert a[name] == b[name], (name, a, b)


def test_one_and_two_processes_give_the_same_table(tmp_path):
    """Does a grid run in this process (jobs=1) give exactly the table the same grid gives over two processes?"""
    configs = grid(TINY, optimizer=["SGD", "Adam", "RMSprop"], learning_rate=[0.01, 0.3], momentum=[0.9])
    alone = _rows(run_grid(configs, jobs=1, cache_dir=tmp_path / "one", progress=False))
    pooled = _rows(run_grid(configs, jobs=2, cache_dir=tmp_path / "two", progress=False))
    _same(alone, pooled)
    assert len({row["final_loss"] for row in alone}) == len(configs)  # six different runs, not one repeated
    # the records on disk are identical too, byte for byte
    for config in configs:
        name = f"{config_key(config)}.json"
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


def test_a_run_depends_on_its_configuration_alone():
    """Does a configuration give the same losses twice, and another seed other losses?"""
    first, again = train_config({**TINY, "seed": 3}), train_config({**TINY, "seed": 3})
    assert first == again
    assert train_config({**TINY, "seed": 4})["losses"] != first["losses"]


def test_a_cached_rerun_trains_nothing(tmp_path, monkeypatch):
    """Does a second run of a grid read every record from the cache, without training or writing?"""
    configs = grid(TINY, learning_rate=[0.01, 0.1])
    first = _rows(run_grid(configs, jobs=1, cache_dir=tmp_path, progress=False))
    written = {path.name: path.read_bytes() for path in tmp_path.glob("*")}

    def refuse(config):
        raise AssertionError(f"trained {config} again")

    monkeypatch.setattr(experiments, "train_config", refuse)
    second = _rows(run_grid(configs, jobs=4, cache_dir=tmp_path, progress=False))
    _same(first, second)
    assert {path.name: path.read_bytes() for path in tmp_path.glob("*")} == written


def test_an_interrupted_grid_resumes_where_it_stopped(tmp_path, monkeypatch):
    """Killed during its third run, does a grid keep the two finished runs, and run only the others next time?"""
    configs = grid(TINY, learning_rate=[0.01, 0.03, 0.1, 0.3])
    trained = []
    real = experiments.train_config

    def interrupted(config):
        if len(trained) == 2:
            raise KeyboardInterrupt
        trained.append(config["learning_rate"])
        return real(config)

    monkeypatch.setattr(experiments, "train_config", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_grid(configs, jobs=1, cache_dir=tmp_path, progress=False)
    assert len(ResultCache(tmp_path)) == 2 and not list(tmp_path.glob("*.tmp"))

    trained.clear()
    def counted(config):
        trained.append(config["learning_rate"])
        return real(config)

    monkeypatch.setattr(experiments, "train_config", counted)
    resumed = _rows(run_grid(configs, jobs=1, cache_dir=tmp_path, progress=False))
    assert trained == [0.1, 0.3]
    monkeypatch.setattr(experiments, "train_config", real)
    _same(resumed, _rows(run_grid(configs, jobs=1, cache_dir=tmp_path / "fresh", progress=False)))


def test_a_damaged_record_is_run_again(tmp_path):
    """Is a cache file that is cut short, or that holds another configuration, treated as missing?"""
    configs = grid(TINY, seed=[0, 1, 2])
    cache = ResultCache(tmp_path)
    for config in configs:
        cache.save(config, {"losses": [1.0], "val_accuracy": [0.5]})
    cache.path(configs[0]).write_text('{"config": {"noise": 0.1')  # cut short
    other = json.loads(cache.path(configs[2]).read_text())
    other["config"]["seed"] = 9
    cache.path(configs[1]).write_text(json.dumps(other))  # another configuration's record under this key
    done, pending = split_cached(configs, cache)
    assert pending == [0, 1] and list(done) == [2]


def test_keys_do_not_depend_on_the_process():
    """Is config_key the same in a fresh interpreter (no dependence on hash randomisation or dict order)?"""
    config = {"optimizer": "SGD", "momentum": 0.9, "learning_rate": 0.1, "hidden": [8, 8]}
    code = ("import sys, json; from tinytorch.experiments import config_key; "
            "print(config_key(json.loads(sys.argv[1])))")
    shuffled = dict(reversed(list(config.items())))
    outputs = {subprocess.run([sys.executable, "-c", code, json.dumps(c)], capture_output=True, text=True,
                              check=True).stdout.strip() for c in (config, shuffled)}
    assert outputs == {config_key(config)}


def test_unknown_keys_and_bad_jobs_are_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown configuration keys"):
        run_grid([{"learnig_rate": 0.1}], cache_dir=tmp_path, progress=False)
    with pytest.raises(ValueError, match="jobs"):
        run_grid([{}], jobs=0, cache_dir=tmp_path, progress=False)


def test_diverged_runs_stop_and_are_flagged():
    """Does a run whose loss becomes nan or inf stop at once, with a summary that says it diverged?"""
    run = train_config({**TINY, "optimizer": "SGD", "learning_rate": 1e100})
    assert not np.isfinite(run["losses"][-1]) and np.all(np.isfinite(run["losses"][:-1]))
    summary = summarize(run)
    assert summary["diverged"] is True and np.isnan(summary["stability"])


def test_a_dask_executor_gives_the_same_table(tmp_path):
    """Does run_grid on a Dask cluster's executor give the table the local runner gives?"""
    distributed = pytest.importorskip("distributed")
    configs = grid(TINY, learning_rate=[0.01, 0.1, 0.3])
    local = _rows(run_grid(configs, jobs=1, cache_dir=tmp_path / "local", progress=False))
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None) as client:
        on_dask = _rows(run_grid(configs, cache_dir=tmp_path / "dask", progress=False,
                                 executor=client.get_executor()))
    _same(local, on_dask)


def test_without_an_importable_worker_the_grid_runs_here(tmp_path, monkeypatch):
    """Before the module is exported (no run_and_store a worker process can import), does run_grid say so and run
    the grid in this process, with the same table?"""
    configs = grid(TINY, learning_rate=[0.01, 0.1, 0.3])
    expected = _rows(run_grid(configs, jobs=1, cache_dir=tmp_path / "one", progress=False))
    monkeypatch.setattr(experiments, "_importable_worker", lambda: None)
    with pytest.warns(UserWarning, match="not exported yet"):
        got = _rows(run_grid(configs, jobs=2, cache_dir=tmp_path / "here", progress=False))
    _same(expected, got)
