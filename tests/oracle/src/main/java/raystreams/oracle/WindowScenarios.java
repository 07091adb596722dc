package raystreams.oracle;

import static raystreams.oracle.Codec.LONG;
import static raystreams.oracle.Codec.STRING;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.EmitStrategy;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KGroupedStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.SessionWindows;
import org.apache.kafka.streams.kstream.SlidingWindows;
import org.apache.kafka.streams.kstream.Suppressed;
import org.apache.kafka.streams.kstream.Suppressed.BufferConfig;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.UnlimitedWindows;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.WindowStore;

/** Windowed aggregations: tumbling, hopping, sliding, session; suppress; emit-final. */
final class WindowScenarios {
    private WindowScenarios() { }

    static List<Scenario> all() {
        return List.of(tumblingCount(), hoppingAggregate(), slidingCount(), sessionCount(),
            suppressWindowClose(), emitFinal(), unlimitedCount());
    }

    /** How every windowed scenario renders its key before {@code to()}: "key@start/end". */
    static String windowKey(final Windowed<String> windowed) {
        return windowed.key() + "@" + windowed.window().start() + "/" + windowed.window().end();
    }

    private static KGroupedStream<String, String> events(final StreamsBuilder builder) {
        final Serde<String> s = Serdes.String();
        return builder.stream("events", Consumed.with(s, s)).groupByKey(Grouped.with(s, s));
    }

    private static void toTopic(final KTable<Windowed<String>, Long> table, final String topic) {
        table.toStream()
            .map((windowed, count) -> KeyValue.pair(windowKey(windowed), count))
            .to(topic, Produced.with(Serdes.String(), Serdes.Long()));
    }

    private static Duration ms(final Params params, final String name) {
        return Duration.ofMillis(params.longValue(name));
    }

    static Scenario tumblingCount() {
        return Scenario.named("tumbling_count")
            .input("events", STRING, STRING)
            .output("tumbling-output", STRING, LONG)
            .param("size_ms", 10_000L)
            .param("grace_ms", 5_000L)
            .topology((params, props) -> {
                final StreamsBuilder builder = new StreamsBuilder();
                toTopic(events(builder)
                    .windowedBy(TimeWindows.ofSizeAndGrace(ms(params, "size_ms"), ms(params, "grace_ms")))
                    .count(Materialized.as("tumbling-counts")), "tumbling-output");
                return builder.build(props);
            });
    }

    static Scenario hoppingAggregate() {
        return Scenario.named("hopping_aggregate")
            .input("amounts", STRING, LONG)
            .output("hopping-output", STRING, LONG)
            .param("size_ms", 10_000L)
            .param("advance_ms", 5_000L)
            .param("grace_ms", 2_000L)
            .topology((params, props) -> {
                final Serde<String> s = Serdes.String();
                final Serde<Long> l = Serdes.Long();
                final StreamsBuilder builder = new StreamsBuilder();
                toTopic(builder.stream("amounts", Consumed.with(s, l))
                    .groupByKey(Grouped.with(s, l))
                    .windowedBy(TimeWindows.ofSizeAndGrace(ms(params, "size_ms"), ms(params, "grace_ms"))
                        .advanceBy(ms(params, "advance_ms")))
                    .aggregate(() -> 0L,
                        (k, amount, sum) -> amount == null ? sum : sum + amount,
                        Materialized.<String, Long, WindowStore<Bytes, byte[]>>as("hopping-sums")
                            .withValueSerde(l)),
                    "hopping-output");
                return builder.build(props);
            });
    }

    static Scenario slidingCount() {
        return Scenario.named("sliding_count")
            .input("events", STRING, STRING)
            .output("sliding-output", STRING, LONG)
            .param("time_difference_ms", 5_000L)
            .param("grace_ms", 2_000L)
            .topology((params, props) -> {
                final StreamsBuilder builder = new StreamsBuilder();
                toTopic(events(builder)
                    .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(
                        ms(params, "time_difference_ms"), ms(params, "grace_ms")))
                    .count(Materialized.as("sliding-counts")), "sliding-output");
                return builder.build(props);
            });
    }

    static Scenario sessionCount() {
        return Scenario.named("session_count")
            .input("events", STRING, STRING)
            .output("session-output", STRING, LONG)
            .param("gap_ms", 5_000L)
            .param("grace_ms", 2_000L)
            .topology((params, props) -> {
                final StreamsBuilder builder = new StreamsBuilder();
                toTopic(events(builder)
                    .windowedBy(SessionWindows.ofInactivityGapAndGrace(ms(params, "gap_ms"), ms(params, "grace_ms")))
                    .count(Materialized.as("session-counts")), "session-output");
                return builder.build(props);
            });
    }

    static Scenario suppressWindowClose() {
        return Scenario.named("suppress_window_close")
            .input("events", STRING, STRING)
            .output("suppress-output", STRING, LONG)
            .param("size_ms", 10_000L)
            .param("grace_ms", 5_000L)
            .topology((params, props) -> {
                final StreamsBuilder builder = new StreamsBuilder();
                toTopic(events(builder)
                    .windowedBy(TimeWindows.ofSizeAndGrace(ms(params, "size_ms"), ms(params, "grace_ms")))
                    .count(Materialized.as("suppress-counts"))
                    .suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded())), "suppress-output");
                return builder.build(props);
            });
    }

    static Scenario emitFinal() {
        return Scenario.named("emit_final")
            .input("events", STRING, STRING)
            .output("emit-final-output", STRING, LONG)
            .param("size_ms", 10_000L)
            .param("grace_ms", 5_000L)
            .topology((params, props) -> {
                final StreamsBuilder builder = new StreamsBuilder();
                toTopic(events(builder)
                    .windowedBy(TimeWindows.ofSizeAndGrace(ms(params, "size_ms"), ms(params, "grace_ms")))
                    .emitStrategy(EmitStrategy.onWindowClose())
                    .count(Materialized.as("final-counts")), "emit-final-output");
                return builder.build(props);
            });
    }

    static Scenario unlimitedCount() {
        return Scenario.named("unlimited_count")
            .input("events", STRING, STRING)
            .output("unlimited-output", STRING, LONG)
            .param("start_ms", 1_000L)
            .topology((params, props) -> {
                final StreamsBuilder builder = new StreamsBuilder();
                toTopic(events(builder)
                    .windowedBy(UnlimitedWindows.of()
                        .startOn(Instant.ofEpochMilli(params.longValue("start_ms"))))
                    .count(Materialized.as("unlimited-counts")), "unlimited-output");
                return builder.build(props);
            });
    }
}
