"""confluent-kafka I/O for the runtime: consumers (``assign()`` only), the (transactional)
producer (the sender under the engine's record collector), topic admin, and Kafka's murmur2 partitioner. The engine
never imports this package; it talks to it through ``raystreams.engine.records`` protocols.
"""
