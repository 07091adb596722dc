package raystreams.oracle;

import static raystreams.oracle.Codec.JSON;
import static raystreams.oracle.Codec.STRING;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.JoinWindows;
import org.apache.kafka.streams.kstream.Joined;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.StreamJoined;
import org.apache.kafka.streams.kstream.Suppressed;
import org.apache.kafka.streams.kstream.Suppressed.BufferConfig;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.state.WindowStore;

/**
 * The examples under examples/ whose semantics are subtle, written as a Kafka Streams user
 * writes them: stock_stats (hopping-window statistics, final per window) and clickstream
 * (a stream-stream window join, then a stream-table join). Topics, stores and operator order
 * are the examples' own, so outputs and describe() can be compared whole.
 */
final class ExampleScenarios {
    private ExampleScenarios() { }

    static List<Scenario> all() {
        return List.of(stockStats(), clickstream());
    }

    private static ObjectNode object() {
        return Codec.MAPPER.createObjectNode();
    }

    /** examples/stock_stats.py: the aggregate is {count, total, min, max} (its TradeStats). */
    static Scenario stockStats() {
        return Scenario.named("example_stock_stats")
            .input("stock_trades", STRING, JSON)
            .output("stock_stats", STRING, JSON)
            .topology((params, props) -> {
                final Serde<String> s = Serdes.String();
                final Serde<JsonNode> json = Codec.jsonSerde();
                final StreamsBuilder builder = new StreamsBuilder();
                builder.stream("stock_trades", Consumed.with(s, json))
                    .groupByKey(Grouped.with(s, json))
                    .windowedBy(TimeWindows.ofSizeWithNoGrace(Duration.ofMillis(5_000))
                        .advanceBy(Duration.ofMillis(1_000)))
                    .aggregate(
                        () -> {
                            final ObjectNode stats = object();
                            stats.put("count", 0).put("total", 0.0).putNull("min").putNull("max");
                            return (JsonNode) stats;
                        },
                        (ticker, trade, stats) -> {
                            final double price = trade.get("price").asDouble();
                            final ObjectNode next = object();
                            next.put("count", stats.get("count").asInt() + 1)
                                .put("total", stats.get("total").asDouble() + price)
                                .put("min", stats.get("min").isNull() ? price
                                    : Math.min(stats.get("min").asDouble(), price))
                                .put("max", stats.get("max").isNull() ? price
                                    : Math.max(stats.get("max").asDouble(), price));
                            return (JsonNode) next;
                        },
                        Materialized.<String, JsonNode, WindowStore<Bytes, byte[]>>as("trade-stats")
                            .withValueSerde(json))
                    .suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded()))
                    .toStream()
                    .map((windowed, stats) -> {
                        final ObjectNode out = object();
                        final int count = stats.get("count").asInt();
                        out.put("ticker", windowed.key())
                            .put("window_start", windowed.window().start())
                            .put("window_end", windowed.window().end())
                            .put("count", count)
                            .put("min", stats.get("min").asDouble())
                            .put("max", stats.get("max").asDouble())
                            .put("avg", Math.round(stats.get("total").asDouble() / count * 10_000)
                                / 10_000.0);
                        return KeyValue.pair(windowed.key(), (JsonNode) out);
                    })
                    .to("stock_stats", Produced.with(s, json));
                return builder.build(props);
            });
    }

    /** examples/clickstream.py. */
    static Scenario clickstream() {
        return Scenario.named("example_clickstream")
            .input("clicks", STRING, STRING)
            .input("searches", STRING, STRING)
            .input("profiles", STRING, JSON)
            .output("user_activity", STRING, JSON)
            .topology((params, props) -> {
                final Serde<String> s = Serdes.String();
                final Serde<JsonNode> json = Codec.jsonSerde();
                final StreamsBuilder builder = new StreamsBuilder();
                final KTable<String, JsonNode> profiles = builder.table("profiles", Consumed.with(s, json));
                final KStream<String, String> searches = builder.stream("searches", Consumed.with(s, s));
                builder.stream("clicks", Consumed.with(s, s))
                    .join(searches,
                        (page, terms) -> {
                            final ObjectNode activity = object();
                            activity.put("search", terms).put("page", page);
                            return (JsonNode) activity;
                        },
                        JoinWindows.ofTimeDifferenceWithNoGrace(Duration.ofMillis(1_000)).after(Duration.ZERO),
                        StreamJoined.with(s, s, s))
                    .join(profiles,
                        (activity, profile) -> {
                            final ObjectNode out = object();
                            out.set("user", profile.get("name"));
                            out.set("interests", profile.get("interests"));
                            out.setAll((ObjectNode) activity);
                            return (JsonNode) out;
                        },
                        Joined.with(s, json, json))
                    .to("user_activity", Produced.with(s, json));
                return builder.build(props);
            });
    }
}
