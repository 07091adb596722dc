package raystreams.oracle;

import static raystreams.oracle.Codec.JSON;
import static raystreams.oracle.Codec.STRING;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.GlobalKTable;
import org.apache.kafka.streams.kstream.JoinWindows;
import org.apache.kafka.streams.kstream.Joined;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.KeyValueMapper;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.StreamJoined;
import org.apache.kafka.streams.kstream.ValueJoiner;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Joins: stream-stream (windowed), stream-table, table-table, foreign-key table-table,
 * stream-GlobalKTable. Every joiner is {@code l + "+" + r}: Java renders a null side as "null".
 */
final class JoinScenarios {
    private JoinScenarios() { }

    private static final ValueJoiner<String, String, String> PLUS = (l, r) -> l + "+" + r;

    static List<Scenario> all() {
        final List<Scenario> all = new ArrayList<>();
        for (final String kind : List.of("inner", "left", "outer")) {
            all.add(streamStream(kind));
            all.add(tableTable(kind));
        }
        for (final String kind : List.of("inner", "left")) {
            all.add(streamTable(kind));
            all.add(foreignKey(kind));
        }
        all.add(global("global_join", false));
        all.add(global("global_left_join", true));
        return all;
    }

    static Scenario streamStream(final String kind) {
        return Scenario.named("stream_stream_" + kind)
            .input("left-input", STRING, STRING)
            .input("right-input", STRING, STRING)
            .output("join-output", STRING, STRING)
            .param("time_difference_ms", 5_000L)
            .param("grace_ms", 2_000L)
            .topology((params, props) -> {
                final Serde<String> s = Serdes.String();
                final StreamsBuilder builder = new StreamsBuilder();
                final KStream<String, String> left = builder.stream("left-input", Consumed.with(s, s));
                final KStream<String, String> right = builder.stream("right-input", Consumed.with(s, s));
                final JoinWindows windows = JoinWindows.ofTimeDifferenceAndGrace(
                    Duration.ofMillis(params.longValue("time_difference_ms")),
                    Duration.ofMillis(params.longValue("grace_ms")));
                final StreamJoined<String, String, String> joined = StreamJoined.with(s, s, s);
                final KStream<String, String> result;
                switch (kind) {
                    case "inner":
                        result = left.join(right, PLUS, windows, joined);
                        break;
                    case "left":
                        result = left.leftJoin(right, PLUS, windows, joined);
                        break;
                    default:
                        result = left.outerJoin(right, PLUS, windows, joined);
                }
                result.to("join-output", Produced.with(s, s));
                return builder.build(props);
            });
    }

    static Scenario streamTable(final String kind) {
        return Scenario.named("stream_table_" + kind)
            .input("orders", STRING, STRING)
            .input("addresses", STRING, STRING)
            .output("join-output", STRING, STRING)
            .topology((params, props) -> {
                final Serde<String> s = Serdes.String();
                final StreamsBuilder builder = new StreamsBuilder();
                final KStream<String, String> orders = builder.stream("orders", Consumed.with(s, s));
                final KTable<String, String> addresses = builder.table("addresses", Consumed.with(s, s),
                    Materialized.as("addresses-store"));
                final Joined<String, String, String> joined = Joined.with(s, s, s);
                final KStream<String, String> result = "inner".equals(kind)
                    ? orders.join(addresses, PLUS, joined)
                    : orders.leftJoin(addresses, PLUS, joined);
                result.to("join-output", Produced.with(s, s));
                return builder.build(props);
            });
    }

    static Scenario tableTable(final String kind) {
        return Scenario.named("table_table_" + kind)
            .input("left-table", STRING, STRING)
            .input("right-table", STRING, STRING)
            .output("join-output", STRING, STRING)
            .topology((params, props) -> {
                final Serde<String> s = Serdes.String();
                final StreamsBuilder builder = new StreamsBuilder();
                final KTable<String, String> left = builder.table("left-table", Consumed.with(s, s),
                    Materialized.as("left-store"));
                final KTable<String, String> right = builder.table("right-table", Consumed.with(s, s),
                    Materialized.as("right-store"));
                final KTable<String, String> result;
                switch (kind) {
                    case "inner":
                        result = left.join(right, PLUS);
                        break;
                    case "left":
                        result = left.leftJoin(right, PLUS);
                        break;
                    default:
                        result = left.outerJoin(right, PLUS);
                }
                result.toStream().to("join-output", Produced.with(s, s));
                return builder.build(props);
            });
    }

    /** The foreign key of an order {"product": "p1", "qty": 2}: its product, as text. */
    static String productOf(final JsonNode order) {
        return order.hasNonNull("product") ? order.get("product").asText() : null;
    }

    static Scenario foreignKey(final String kind) {
        return Scenario.named("fk_" + kind)
            .input("orders", STRING, JSON)
            .input("products", STRING, STRING)
            .output("fk-output", STRING, STRING)
            .topology((params, props) -> {
                final Serde<String> s = Serdes.String();
                final Serde<JsonNode> json = Codec.jsonSerde();
                final StreamsBuilder builder = new StreamsBuilder();
                final KTable<String, JsonNode> orders = builder.table("orders", Consumed.with(s, json),
                    Materialized.<String, JsonNode, KeyValueStore<Bytes, byte[]>>as("orders-store")
                        .withKeySerde(s).withValueSerde(json));
                final KTable<String, String> products = builder.table("products", Consumed.with(s, s),
                    Materialized.as("products-store"));
                final Function<JsonNode, String> foreignKey = JoinScenarios::productOf;
                final ValueJoiner<JsonNode, String, String> joiner = (order, product) -> order + "+" + product;
                final KTable<String, String> result = "inner".equals(kind)
                    ? orders.join(products, foreignKey, joiner)
                    : orders.leftJoin(products, foreignKey, joiner);
                result.toStream().to("fk-output", Produced.with(s, s));
                return builder.build(props);
            });
    }

    /**
     * The global-table key of an order "addressId|item": the text before the first '|',
     * or the order's own key when there is no '|'; null for a null value.
     */
    static final KeyValueMapper<String, String, String> ADDRESS_OF = (orderId, order) -> {
        if (order == null) {
            return null;
        }
        final int bar = order.indexOf('|');
        return bar < 0 ? orderId : order.substring(0, bar);
    };

    static Scenario global(final String name, final boolean leftJoin) {
        return Scenario.named(name)
            .input("orders", STRING, STRING)
            .input("addresses", STRING, STRING)
            .output("join-output", STRING, STRING)
            .topology((params, props) -> {
                final Serde<String> s = Serdes.String();
                final StreamsBuilder builder = new StreamsBuilder();
                final KStream<String, String> orders = builder.stream("orders", Consumed.with(s, s));
                final GlobalKTable<String, String> addresses = builder.globalTable("addresses",
                    Consumed.with(s, s), Materialized.as("addresses-global"));
                final KStream<String, String> result = leftJoin
                    ? orders.leftJoin(addresses, ADDRESS_OF, PLUS)
                    : orders.join(addresses, ADDRESS_OF, PLUS);
                result.to("join-output", Produced.with(s, s));
                return builder.build(props);
            });
    }
}
