"""Kafka Streams 4.4 oracle: Java twins of test scenarios and the harness that runs them."""
