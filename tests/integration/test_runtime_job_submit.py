"""``ray job submit --working-dir . -- raystreams run examples/wordcount.py`` against a head
started with ``ray start --head``, as docs/RUNTIME.md tells users to run an app on a cluster.

The head (conftest's ``ray_head``) is a Ray instance of its own (free ports, its own temp
dir), started in the foreground with ``--block`` so that SIGTERM stops exactly it and nothing
else on the machine.
The app runs on the session's Apache Kafka 4.4.
"""

from __future__ import annotations

import collections
import importlib.util
import os
import subprocess
import uuid

import pytest
from confluent_kafka import Producer
from conftest import RAY, REPO_ROOT, consume_all, create_topic, wait_for

pytestmark = pytest.mark.integration

INPUT, OUTPUT = "streams-plaintext-input", "streams-wordcount-output"  # fixed by the example
LINES = ["the quick brown fox", "The fox jumps over the lazy dog", "Dog, fox; dog!"]


def _ensure_topic(admin, name: str) -> None:
    if name not in admin.list_topics(timeout=10).topics:
        create_topic(admin, name, 3)


def _expected_counts(bootstrap: str) -> dict[str, int]:
    """Word counts of everything in the input topic (a reused broker may hold older lines)."""
    spec = importlib.util.spec_from_file_location(
        "wordcount_example", os.path.join(REPO_ROOT, "examples", "wordcount.py"))
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    lines = [m.value().decode() for m in consume_all(bootstrap, INPUT)]
    return dict(collections.Counter(w for line in lines for w in example.words(line)))


def test_ray_job_submit_runs_the_wordcount_example(kafka_bootstrap, admin_factory, ray_head):
    from ray.job_submission import JobStatus, JobSubmissionClient

    admin = admin_factory(kafka_bootstrap)
    for topic in (INPUT, OUTPUT):
        _ensure_topic(admin, topic)
    producer = Producer({"bootstrap.servers": kafka_bootstrap})
    for i, line in enumerate(LINES):
        producer.produce(INPUT, key=str(i), value=line)
    assert producer.flush(30) == 0
    expected = _expected_counts(kafka_bootstrap)
    assert expected["fox"] >= 3

    app_id = f"wc-job-{uuid.uuid4().hex[:6]}"
    job_id = f"raystreams-{app_id}"
    env = dict(os.environ, RAY_AUTH_MODE="disabled")
    env.pop("RAY_ADDRESS", None)
    submitted = subprocess.run(
        [RAY, "job", "submit", "--address", ray_head.dashboard, "--submission-id", job_id, "--no-wait",
         "--working-dir", REPO_ROOT,
         "--runtime-env-json", '{"env_vars": {"RAY_AUTH_MODE": "disabled"}}',
         "--", "raystreams", "run", "examples/wordcount.py",
         "--bootstrap-servers", kafka_bootstrap, "--config", f"application.id={app_id}",
         "--config", "commit.interval.ms=200", "--progress-interval", "1"],
        env=env, capture_output=True, text=True, timeout=120)
    assert submitted.returncode == 0, submitted.stdout + submitted.stderr
    client = JobSubmissionClient(ray_head.dashboard)

    def latest_counts() -> dict[str, int]:
        assert client.get_job_status(job_id) not in (JobStatus.FAILED, JobStatus.STOPPED), \
            client.get_job_logs(job_id)[-4000:]
        counts: dict[str, int] = {}
        for msg in consume_all(kafka_bootstrap, OUTPUT):
            counts[msg.key().decode()] = int.from_bytes(msg.value(), "big", signed=True)
        return counts

    try:
        wait_for(lambda: latest_counts() == expected, 180, 1.0,
                 "the job's word counts on streams-wordcount-output")
    finally:
        client.stop_job(job_id)
        wait_for(lambda: client.get_job_status(job_id).is_terminal(), 90, 0.5,
                 "the job to stop")
    logs = client.get_job_logs(job_id)
    assert "joined the Ray cluster" in logs, logs[-4000:]
    assert "-> RUNNING" in logs and "records processed" in logs, logs[-4000:]
    # SIGTERM from `ray job stop` is a clean shutdown: commit, close, exit
    assert logs.rstrip().splitlines()[-1] == "stopped", logs[-4000:]
