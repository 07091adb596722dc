"""The Ray runtime: ``KafkaStreams`` (the facade), the ``Supervisor`` actor, ``TaskActor`` /
``TaskRunner`` (one stream task on Kafka), task planning and placement. See docs/RUNTIME.md.

Only this package imports ``ray``; nothing here is imported by ``import raystreams`` until
``raystreams.KafkaStreams`` is used.
"""
