package raystreams.oracle;

import static raystreams.oracle.Codec.LONG;
import static raystreams.oracle.Codec.STRING;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Joined;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.ValueJoiner;
import org.apache.kafka.streams.state.Stores;

/**
 * Versioned KTables (KIP-889, KIP-914, KIP-923): a versioned table source, stream-table joins
 * read as of the stream record's time (with and without a grace period), a table-table join
 * and a group-by count that drop out-of-order table updates.
 */
final class VersionedScenarios {
    private VersionedScenarios() { }

    private static final ValueJoiner<String, String, String> PLUS = (l, r) -> l + "+" + r;

    static List<Scenario> all() {
        final List<Scenario> all = new ArrayList<>();
        all.add(versionedTableSource());
        for (final String kind : List.of("inner", "left")) {
            all.add(versionedStreamTable(kind, false));
            all.add(versionedStreamTable(kind, true));
        }
        all.add(versionedTableTable());
        all.add(versionedGroupByCount());
        return all;
    }

    private static Materialized<String, String, org.apache.kafka.streams.state.KeyValueStore<org.apache.kafka.common.utils.Bytes, byte[]>>
        versioned(final String name, final Params params) {
        return Materialized.as(Stores.persistentVersionedKeyValueStore(name,
            Duration.ofMillis(params.longValue("history_ms"))));
    }

    static Scenario versionedTableSource() {
        return Scenario.named("versioned_table_source")
            .input("prices", STRING, STRING)
            .output("prices-output", STRING, STRING)
            .param("history_ms", 10_000L)
            .topology((params, props) -> {
                final Serde<String> s = Serdes.String();
                final StreamsBuilder builder = new StreamsBuilder();
                builder.table("prices", Consumed.with(s, s), versioned("prices-versioned", params))
                    .toStream().to("prices-output", Produced.with(s, s));
                return builder.build(props);
            });
    }

    static Scenario versionedStreamTable(final String kind, final boolean grace) {
        final Scenario scenario = Scenario.named("versioned_stream_table_" + kind + (grace ? "_grace" : ""))
            .input("orders", STRING, STRING)
            .input("prices", STRING, STRING)
            .output("join-output", STRING, STRING)
            .param("history_ms", 10_000L);
        if (grace) {
            scenario.param("grace_ms", 3_000L);
        }
        return scenario.topology((params, props) -> {
            final Serde<String> s = Serdes.String();
            final StreamsBuilder builder = new StreamsBuilder();
            final KStream<String, String> orders = builder.stream("orders", Consumed.with(s, s));
            final KTable<String, String> prices = builder.table("prices", Consumed.with(s, s),
                versioned("prices-versioned", params));
            Joined<String, String, String> joined = Joined.with(s, s, s);
            if (grace) {
                joined = joined.withGracePeriod(Duration.ofMillis(params.longValue("grace_ms")));
            }
            final KStream<String, String> result = "inner".equals(kind)
                ? orders.join(prices, PLUS, joined)
                : orders.leftJoin(prices, PLUS, joined);
            result.to("join-output", Produced.with(s, s));
            return builder.build(props);
        });
    }

    static Scenario versionedTableTable() {
        return Scenario.named("versioned_table_table")
            .input("left-table", STRING, STRING)
            .input("right-table", STRING, STRING)
            .output("join-output", STRING, STRING)
            .param("history_ms", 10_000L)
            .topology((params, props) -> {
                final Serde<String> s = Serdes.String();
                final StreamsBuilder builder = new StreamsBuilder();
                final KTable<String, String> left = builder.table("left-table", Consumed.with(s, s),
                    versioned("left-versioned", params));
                final KTable<String, String> right = builder.table("right-table", Consumed.with(s, s),
                    versioned("right-versioned", params));
                left.join(right, PLUS).toStream().to("join-output", Produced.with(s, s));
                return builder.build(props);
            });
    }

    static Scenario versionedGroupByCount() {
        return Scenario.named("versioned_group_by_count")
            .input("regions", STRING, STRING)
            .output("region-count-output", STRING, LONG)
            .param("history_ms", 10_000L)
            .topology((params, props) -> {
                final Serde<String> s = Serdes.String();
                final StreamsBuilder builder = new StreamsBuilder();
                builder.table("regions", Consumed.with(s, s), versioned("regions-versioned", params))
                    .groupBy((user, region) -> KeyValue.pair(region, user), Grouped.with(s, s))
                    .count(Materialized.as("versioned-region-counts"))
                    .toStream().to("region-count-output", Produced.with(s, Serdes.Long()));
                return builder.build(props);
            });
    }
}
