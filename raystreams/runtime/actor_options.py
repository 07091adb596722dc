"""Every Ray actor option of the runtime, in one place (as Ray Serve's controller_actor_class).

Names: the supervisor is ``<application.id>``, each task actor
``<application.id>.task.<task_id>.<incarnation>`` and each standby replica
``<application.id>.standby.<task_id>.<replica>.<incarnation>``, all in the namespace ``ray.namespace``
(``raystreams`` by default), so the inspector and the CLI find them.
"""

from __future__ import annotations

from typing import Any

from raystreams.config.keys import APPLICATION_ID_CONFIG, RAY_NAMESPACE_CONFIG, TASK_NUM_CPUS_CONFIG

TASK_ACTOR_MAX_CONCURRENCY = 16  # the loop thread + watch/metrics/query/stop calls
SUPERVISOR_MAX_CONCURRENCY = 16  # its monitor thread + calls from KafkaStreams and the CLI
TASK_PREFIX_SEPARATOR = ".task."


def namespace(config: Any) -> str:
    return config.get(RAY_NAMESPACE_CONFIG) or "raystreams"


def supervisor_name(config: Any) -> str:
    return config.get(APPLICATION_ID_CONFIG)


def task_actor_prefix(application_id: str) -> str:
    return f"{application_id}{TASK_PREFIX_SEPARATOR}"


def task_actor_name(application_id: str, task_id: str, incarnation: int) -> str:
    return f"{task_actor_prefix(application_id)}{task_id}.{incarnation}"


def parse_task_actor_name(application_id: str, name: str) -> tuple[str, int] | None:
    """``(task_id, incarnation)`` of a task actor name of this app, else None."""
    prefix = task_actor_prefix(application_id)
    if not name.startswith(prefix):
        return None
    task_id, _, incarnation = name[len(prefix):].rpartition(".")
    if not task_id or not incarnation.isdigit():
        return None
    return task_id, int(incarnation)


STANDBY_PREFIX_SEPARATOR = ".standby."


def standby_actor_name(application_id: str, task_id: str, replica: int, incarnation: int) -> str:
    return f"{application_id}{STANDBY_PREFIX_SEPARATOR}{task_id}.{replica}.{incarnation}"


def is_standby_actor_name(application_id: str, name: str) -> bool:
    return name.startswith(f"{application_id}{STANDBY_PREFIX_SEPARATOR}")


def standby_actor_options(config: Any, task_id: str, replica: int, incarnation: int,
                          node_id: str | None = None) -> dict[str, Any]:
    """Options of a standby replica's actor: a task actor's, under its own name."""
    options = task_actor_options(config, task_id, incarnation, node_id)
    options["name"] = standby_actor_name(config.get(APPLICATION_ID_CONFIG), task_id, replica,
                                         incarnation)
    return options


def task_actor_options(config: Any, task_id: str, incarnation: int,
                       node_id: str | None = None) -> dict[str, Any]:
    """Options of a task actor.

    Detached, so a task outlives a supervisor crash (the supervisor's replacement reattaches
    and ``KafkaStreams.close()`` kills them); no Ray-level restarts, because the supervisor
    restarts tasks itself with backoff and counts them; ``task.num.cpus`` fractional CPUs.
    """
    opts: dict[str, Any] = {
        "name": task_actor_name(config.get(APPLICATION_ID_CONFIG), task_id, incarnation),
        "namespace": namespace(config),
        "lifetime": "detached",
        "max_restarts": 0,
        "max_task_retries": 0,
        "num_cpus": float(config.get(TASK_NUM_CPUS_CONFIG)),
        "max_concurrency": TASK_ACTOR_MAX_CONCURRENCY,
    }
    if node_id is not None:
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        opts["scheduling_strategy"] = NodeAffinitySchedulingStrategy(node_id, soft=True)
    return opts


def supervisor_options(config: Any) -> dict[str, Any]:
    """Options of the supervisor: restarted by Ray forever (it reattaches), calls retried."""
    return {
        "name": supervisor_name(config),
        "namespace": namespace(config),
        "max_restarts": -1,
        "max_task_retries": -1,
        "num_cpus": 0,
        "max_concurrency": SUPERVISOR_MAX_CONCURRENCY,
    }


def remote_task_actor() -> Any:
    import ray

    from raystreams.runtime.task_actor import TaskActor

    return ray.remote(TaskActor)


def remote_supervisor() -> Any:
    import ray

    from raystreams.runtime.supervisor import Supervisor

    return ray.remote(Supervisor)
