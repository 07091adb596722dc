"""TopologyTestDriver: run a Topology in-process, without Kafka or Ray (Kafka's test-utils).

``driver`` holds the ``TopologyTestDriver``; ``topics`` its ``TestInputTopic``,
``TestOutputTopic`` and ``TestRecord``.
"""

from raystreams.testing.driver import TopologyTestDriver
from raystreams.testing.topics import TestInputTopic, TestOutputTopic, TestRecord

__all__ = ["TestInputTopic", "TestOutputTopic", "TestRecord", "TopologyTestDriver"]
