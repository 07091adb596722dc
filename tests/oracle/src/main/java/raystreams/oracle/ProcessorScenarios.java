package raystreams.oracle;

import static raystreams.oracle.Codec.LONG;
import static raystreams.oracle.Codec.STRING;

import java.time.Duration;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/** Processor API scenarios, and topologies that must fail to build. */
final class ProcessorScenarios {
    private ProcessorScenarios() { }

    static List<Scenario> all() {
        return List.of(processorPunctuate(), topologyError(), processingErrors());
    }

    /**
     * Counts records per key in "proc-store"; every stream-time interval forwards every
     * (key, count), every wall-clock interval forwards ("wall-clock", timestamp).
     */
    static final class CountAndPunctuate implements Processor<String, String, String, Long> {
        private final long streamIntervalMs;
        private final long wallIntervalMs;
        private KeyValueStore<String, Long> store;

        CountAndPunctuate(final long streamIntervalMs, final long wallIntervalMs) {
            this.streamIntervalMs = streamIntervalMs;
            this.wallIntervalMs = wallIntervalMs;
        }

        @Override
        public void init(final ProcessorContext<String, Long> context) {
            store = context.getStateStore("proc-store");
            context.schedule(Duration.ofMillis(streamIntervalMs), PunctuationType.STREAM_TIME, timestamp -> {
                try (KeyValueIterator<String, Long> it = store.all()) {
                    while (it.hasNext()) {
                        final KeyValue<String, Long> entry = it.next();
                        context.forward(new Record<>(entry.key, entry.value, timestamp));
                    }
                }
            });
            context.schedule(Duration.ofMillis(wallIntervalMs), PunctuationType.WALL_CLOCK_TIME,
                timestamp -> context.forward(new Record<>("wall-clock", timestamp, timestamp)));
        }

        @Override
        public void process(final Record<String, String> record) {
            if (record.key() == null) {
                return;
            }
            final Long count = store.get(record.key());
            store.put(record.key(), count == null ? 1L : count + 1);
        }
    }

    static Scenario processorPunctuate() {
        return Scenario.named("processor_punctuate")
            .input("punctuate-input", STRING, STRING)
            .output("punctuate-output", STRING, LONG)
            .param("stream_interval_ms", 10_000L)
            .param("wall_interval_ms", 5_000L)
            .topology((params, props) -> {
                final long streamInterval = params.longValue("stream_interval_ms");
                final long wallInterval = params.longValue("wall_interval_ms");
                final Topology topology = new Topology();
                topology.addSource("source", Serdes.String().deserializer(), Serdes.String().deserializer(),
                    "punctuate-input");
                topology.addProcessor("counter", () -> new CountAndPunctuate(streamInterval, wallInterval),
                    "source");
                topology.addStateStore(Stores.keyValueStoreBuilder(
                    Stores.persistentKeyValueStore("proc-store"), Serdes.String(), Serdes.Long()), "counter");
                topology.addSink("sink", "punctuate-output", Serdes.String().serializer(),
                    Serdes.Long().serializer(), "counter");
                return topology;
            });
    }

    /**
     * A topology whose construction raises TopologyException, chosen by param "kind":
     * "invalid_name" (default; Named.as(param "name")), "duplicate_name" (two processors
     * named "twice"), "unknown_parent" (Processor API sink under a missing parent), or
     * "none" (builds fine: error-input → filter named "ok" → error-output).
     */
    static Scenario topologyError() {
        return Scenario.named("topology_error")
            .input("error-input", STRING, STRING)
            .output("error-output", STRING, STRING)
            .param("kind", "invalid_name")
            .param("name", "bad name!")
            .topology((params, props) -> {
                final String kind = params.text("kind");
                if ("unknown_parent".equals(kind)) {
                    final Topology topology = new Topology();
                    topology.addSource("source", "error-input");
                    topology.addSink("sink", "error-output", "no-such-processor");
                    return topology;
                }
                final StreamsBuilder builder = new StreamsBuilder();
                final var input = builder.stream("error-input",
                    Consumed.with(Serdes.String(), Serdes.String()));
                final var filtered = switch (kind) {
                    case "none" -> input.filter((k, v) -> true, Named.as("ok"));
                    case "invalid_name" -> input.filter((k, v) -> true, Named.as(params.text("name")));
                    case "duplicate_name" -> input.filter((k, v) -> true, Named.as("twice"))
                        .mapValues(v -> v, Named.as("twice"));
                    default -> throw new IllegalArgumentException("unknown kind: " + kind);
                };
                filtered.to("error-output", Produced.with(Serdes.String(), Serdes.String()));
                return builder.build(props);
            });
    }

    /**
     * Upper-cases values; the value "boom" makes process() throw IllegalArgumentException("boom"),
     * and after a value "tick-boom" the next stream-time punctuation (every 10 s) throws
     * IllegalStateException("tick"); other punctuations forward ("tick", timestamp). With the
     * config's processing.exception.handler and errors.dead.letter.queue.topic.name
     * ("errors-dlq"), this shows KIP-1033/1034 on processors and punctuators.
     */
    static final class Picky implements Processor<String, String, String, String> {
        private ProcessorContext<String, String> context;
        private boolean armed;

        @Override
        public void init(final ProcessorContext<String, String> context) {
            this.context = context;
            context.schedule(Duration.ofMillis(10_000L), PunctuationType.STREAM_TIME, timestamp -> {
                if (armed) {
                    armed = false;
                    throw new IllegalStateException("tick");
                }
                context.forward(new Record<>("tick", String.valueOf(timestamp), timestamp));
            });
        }

        @Override
        public void process(final Record<String, String> record) {
            if ("boom".equals(record.value())) {
                throw new IllegalArgumentException("boom");
            }
            if ("tick-boom".equals(record.value())) {
                armed = true;
            }
            context.forward(record.withValue(record.value() == null ? null : record.value().toUpperCase()));
        }
    }

    static Scenario processingErrors() {
        return Scenario.named("processing_errors")
            .input("errors-input", STRING, STRING)
            .output("errors-output", STRING, STRING)
            .output("errors-dlq", STRING, STRING)
            .topology((params, props) -> {
                final Topology topology = new Topology();
                topology.addSource("source", Serdes.String().deserializer(), Serdes.String().deserializer(),
                    "errors-input");
                topology.addProcessor("picky", Picky::new, "source");
                topology.addSink("sink", "errors-output", Serdes.String().serializer(),
                    Serdes.String().serializer(), "picky");
                return topology;
            });
    }
}
