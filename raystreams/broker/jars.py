"""The Apache Kafka 4.4 jar cache: ``ensure_kafka_jars`` fetches the broker's jars with Maven once."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from raystreams.broker.process import cache_root
from raystreams.errors import BrokerNotAvailableException, ToolchainMissingException

log = logging.getLogger(__name__)

KAFKA_VERSION = "4.4.0"
SCALA_VERSION = "2.13"
# Kafka 4.4 builds against log4j2 2.25.5 and SLF4J 1.7.36 (gradle/dependencies.gradle);
# the SLF4J 1.x binding for log4j2 is log4j-slf4j-impl (log4j-slf4j2-impl is for SLF4J 2).
LOG4J_VERSION = "2.25.5"
MAVEN_DEPENDENCY_PLUGIN = "3.8.1"
_JARS_MARKER = ".complete"


def _maven() -> str:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise ToolchainMissingException("mvn", "No `mvn` on PATH.")
    return mvn


# --------------------------------------------------------------------------- jars


_POM = """<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by raystreams.broker.ensure_kafka_jars: the Apache Kafka broker's runtime jars. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>raystreams.local</groupId>
  <artifactId>kafka-broker-jars</artifactId>
  <version>{kafka}</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_{scala}</artifactId>
      <version>{kafka}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>{log4j}</version>
    </dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-dependency-plugin</artifactId>
        <version>{plugin}</version>
      </plugin>
    </plugins>
  </build>
</project>
"""


def ensure_kafka_jars(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Fetch Apache Kafka 4.4's broker jars into the cache once; return the jar dir.

    Resolves ``org.apache.kafka:kafka_2.13:4.4.0`` with its runtime dependencies and an
    SLF4J binding for log4j2 through Maven (``dependency:copy-dependencies``) into
    ``<cache>/kafka-4.4.0/libs``. A marker file makes later calls return at once; a file
    lock keeps two processes from fetching at the same time.

    Args:
        cache_dir: The cache root; default ``$RAYSTREAMS_CACHE_DIR`` or
            ``~/.cache/raystreams``.

    Returns:
        The dir holding the jars (the broker's classpath is ``<dir>/*``).

    Raises:
        ToolchainMissingException: If Maven is missing.
        BrokerNotAvailableException: If Maven cannot resolve the jars (its output is in the message).
    """
    root = (Path(cache_dir) if cache_dir is not None else cache_root()) / f"kafka-{KAFKA_VERSION}"
    libs = root / "libs"
    marker = root / _JARS_MARKER
    if marker.exists() and libs.is_dir():
        return libs
    root.mkdir(parents=True, exist_ok=True)
    with _file_lock(root / ".lock"):
        if marker.exists() and libs.is_dir():  # another process fetched them meanwhile
            return libs
        mvn = _maven()
        (root / "pom.xml").write_text(_POM.format(kafka=KAFKA_VERSION, scala=SCALA_VERSION,
                                                  log4j=LOG4J_VERSION,
                                                  plugin=MAVEN_DEPENDENCY_PLUGIN))
        staging = root / "libs.partial"
        shutil.rmtree(staging, ignore_errors=True)
        log.info("fetching Apache Kafka %s jars with Maven into %s", KAFKA_VERSION, libs)
        started = time.monotonic()
        try:
            proc = subprocess.run(
                [mvn, "-B", "-q", "-f", str(root / "pom.xml"), "dependency:copy-dependencies",
                 "-DincludeScope=runtime", f"-DoutputDirectory={staging}"],
                stdin=subprocess.DEVNULL, capture_output=True, text=True, cwd=root, timeout=1800)
        except subprocess.TimeoutExpired as e:
            raise BrokerNotAvailableException("Maven did not fetch the Kafka jars within 30 minutes.",
                                              kind="kafka") from e
        jars = sorted(p.name for p in staging.glob("*.jar")) if staging.exists() else []
        if proc.returncode != 0 or not any(j.startswith(f"kafka_{SCALA_VERSION}-") for j in jars):
            output = "\n".join((proc.stdout + proc.stderr).splitlines()[-40:])
            raise BrokerNotAvailableException(
                f"Maven could not fetch org.apache.kafka:kafka_{SCALA_VERSION}:{KAFKA_VERSION} "
                f"(exit {proc.returncode}); it needs Maven Central (or a mirror in "
                f"~/.m2/settings.xml). Pom: {root / 'pom.xml'}.", kind="kafka", log_tail=output)
        shutil.rmtree(libs, ignore_errors=True)
        staging.rename(libs)
        marker.write_text("\n".join(jars) + "\n")
        log.info("fetched %d jars in %.1f s", len(jars), time.monotonic() - started)
    return libs


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    with path.open("a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
