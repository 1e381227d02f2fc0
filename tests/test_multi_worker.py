"""Fine-tuning across machines: two MultiWorkerMirroredStrategy workers on localhost (CPU, a tiny BERT).

Both workers run ``python -m finetune_lab.pretrained.multi_worker`` as a
user would on two machines, with TF_CONFIG naming two free ports on
127.0.0.1. The oracle is the same command on one device, run here.
"""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from finetune_lab.pretrained import multi_worker

REPOSITORY = Path(__file__).resolve().parents[1]
ARGUMENTS = ["--model", "tiny", "--num-train-examples", "48", "--dev-examples", "32", "--batch-size", "16",
             "--epochs", "1", "--threads", "1", "--no-mixed-precision"]  # 43 training examples: 3 steps
TIME_LIMIT_SECONDS = 180  # about 25 s on a quiet 2-core CPU


def free_ports(count: int) -> list[int]:
    """Ports nothing listens on now (held open together, so they differ)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for each in sockets:
            each.bind(("127.0.0.1", 0))
        return [each.getsockname()[1] for each in sockets]
    finally:
        for each in sockets:
            each.close()


def start_worker(index: int, ports: list[int], weights_out: Path) -> subprocess.Popen:
    tf_config = {"cluster": {"worker": [f"127.0.0.1:{port}" for port in ports]},
                 "task": {"type": "worker", "index": index}}
    # CPU only, also on a machine with a GPU: two processes would each take all of its memory.
    environment = dict(os.environ, TF_CONFIG=json.dumps(tf_config), PYTHONPATH=str(REPOSITORY),
                       CUDA_VISIBLE_DEVICES="")
    return subprocess.Popen([sys.executable, "-m", "finetune_lab.pretrained.multi_worker", *ARGUMENTS,
                             "--weights-out", str(weights_out)], cwd=REPOSITORY, env=environment,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def clusters(tmp_path_factory):
    """A two-worker cluster and a one-worker cluster, run at the same time.

    Returns ``{"two": [result of worker 0, of worker 1], "one": [result]}`` and
    the two workers' final weights. Every process is gone afterwards, whatever happens.
    """
    two, one = tmp_path_factory.mktemp("two_workers"), tmp_path_factory.mktemp("one_worker")
    ports = free_ports(3)
    workers = [start_worker(0, ports[:2], two), start_worker(1, ports[:2], two), start_worker(0, ports[2:], one)]
    try:
        outputs = [worker.communicate(timeout=TIME_LIMIT_SECONDS) for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    for worker, (_, stderr) in zip(workers, outputs):
        assert worker.returncode == 0, stderr[-3000:]
    results = [json.loads(stdout.strip().splitlines()[-1]) for stdout, _ in outputs]
    weights = [np.load(two / f"worker_{index}.npz") for index in (0, 1)]
    return {"two": results[:2], "one": results[2:]}, [[file[name] for name in file.files] for file in weights]


def test_two_workers_end_with_identical_weights(clusters):
    results, weights = clusters
    results = results["two"]
    assert [result["worker"] for result in results] == [0, 1]
    assert all(result["replicas"] == 2 for result in results)  # one CPU replica on each worker
    assert results[0]["step_loss"] == results[1]["step_loss"] and len(results[0]["step_loss"]) == 3
    assert len(weights[0]) == len(weights[1]) > 0
    for first, second in zip(*weights):
        np.testing.assert_array_equal(first, second)


def test_clusters_train_like_one_device(clusters, monkeypatch):
    """Two workers compute half of every batch each: the all-reduced step is one device's step, up to
    round-off. A cluster of one worker (a MultiWorkerMirroredStrategy with one replica) is one device."""
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with tf.device("/cpu:0"):  # as the workers: on a GPU, float32 matmuls would round to TF32
        alone = multi_worker.run(multi_worker.parse_arguments(ARGUMENTS))
    results, _ = clusters
    assert alone["replicas"] == 1 and results["one"][0]["replicas"] == 1
    for result in (results["two"][0], results["one"][0]):
        np.testing.assert_allclose(result["step_loss"], alone["step_loss"], atol=1e-5)
        np.testing.assert_allclose(result["dev_loss"], alone["dev_loss"], atol=1e-5)
