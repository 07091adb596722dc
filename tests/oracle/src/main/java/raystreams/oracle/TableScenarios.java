package raystreams.oracle;

import static raystreams.oracle.Codec.LONG;
import static raystreams.oracle.Codec.STRING;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KGroupedStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.KeyValueStore;

/** Key-value aggregations and KTable operators. */
final class TableScenarios {
    private TableScenarios() { }

    static List<Scenario> all() {
        return List.of(wordcount(), tableFilterMapValues(), tableGroupByCount(), tableGroupByReduce(),
            tableGroupByAggregate(), cogroup());
    }

    /** The classic: flatMapValues, groupBy (repartition), count. */
    static Scenario wordcount() {
        return Scenario.named("wordcount")
            .input("text-input", STRING, STRING)
            .output("wordcount-output", STRING, LONG)
            .topology((params, props) -> {
                final Serde<String> s = Serdes.String();
                final StreamsBuilder builder = new StreamsBuilder();
                final KTable<String, Long> counts = builder
                    .stream("text-input", Consumed.with(s, s))
                    .flatMapValues(v -> Arrays.asList(v.toLowerCase(Locale.ROOT).split("\\W+")))
                    .groupBy((k, word) -> word, Grouped.with(s, s))
                    .count(Materialized.as("counts"));
                counts.toStream().to("wordcount-output", Produced.with(s, Serdes.Long()));
                return builder.build(props);
            });
    }

    /** A materialized source table, filter, materialized mapValues. */
    static Scenario tableFilterMapValues() {
        return Scenario.named("table_filter_mapvalues")
            .input("table-input", STRING, STRING)
            .output("table-output", STRING, STRING)
            .topology((params, props) -> {
                final Serde<String> s = Serdes.String();
                final StreamsBuilder builder = new StreamsBuilder();
                builder.table("table-input", Consumed.with(s, s), Materialized.as("source-table"))
                    .filter((k, v) -> v != null && v.length() % 2 == 0)
                    .mapValues(v -> v.toUpperCase(Locale.ROOT),
                        Materialized.<String, String, KeyValueStore<Bytes, byte[]>>as("mapped")
                            .withKeySerde(s).withValueSerde(s))
                    .toStream()
                    .to("table-output", Produced.with(s, s));
                return builder.build(props);
            });
    }

    /** KTable re-keyed by value, counted: the count moves when a user changes region. */
    static Scenario tableGroupByCount() {
        return Scenario.named("table_groupby_count")
            .input("user-regions", STRING, STRING)
            .output("region-counts-output", STRING, LONG)
            .topology((params, props) -> {
                final Serde<String> s = Serdes.String();
                final StreamsBuilder builder = new StreamsBuilder();
                builder.table("user-regions", Consumed.with(s, s))
                    .groupBy((user, region) -> KeyValue.pair(region, user), Grouped.with(s, s))
                    .count(Materialized.as("region-counts"))
                    .toStream()
                    .to("region-counts-output", Produced.with(s, Serdes.Long()));
                return builder.build(props);
            });
    }

    /** KTable re-keyed by value, reduced with an adder and a subtractor. */
    static Scenario tableGroupByReduce() {
        return Scenario.named("table_groupby_reduce")
            .input("user-regions", STRING, STRING)
            .output("region-counts-output", STRING, LONG)
            .topology((params, props) -> {
                final Serde<String> s = Serdes.String();
                final Serde<Long> l = Serdes.Long();
                final StreamsBuilder builder = new StreamsBuilder();
                builder.table("user-regions", Consumed.with(s, s))
                    .groupBy((user, region) -> KeyValue.pair(region, 1L), Grouped.with(s, l))
                    .reduce((agg, one) -> agg + one, (agg, one) -> agg - one,
                        Materialized.as("region-counts"))
                    .toStream()
                    .to("region-counts-output", Produced.with(s, l));
                return builder.build(props);
            });
    }

    /** KTable values "group|amount", summed per group by aggregate(init, adder, subtractor). */
    static Scenario tableGroupByAggregate() {
        return Scenario.named("table_groupby_aggregate")
            .input("items", STRING, STRING)
            .output("group-sums-output", STRING, LONG)
            .topology((params, props) -> {
                final Serde<String> s = Serdes.String();
                final Serde<Long> l = Serdes.Long();
                final StreamsBuilder builder = new StreamsBuilder();
                builder.table("items", Consumed.with(s, s))
                    .groupBy((item, v) -> {
                        final String[] parts = v.split("\\|", 2);
                        return KeyValue.pair(parts[0], Long.parseLong(parts[1]));
                    }, Grouped.with(s, l))
                    .aggregate(() -> 0L,
                        (group, amount, agg) -> agg + amount,
                        (group, amount, agg) -> agg - amount,
                        Materialized.<String, Long, KeyValueStore<Bytes, byte[]>>as("group-sums")
                            .withValueSerde(l))
                    .toStream()
                    .to("group-sums-output", Produced.with(s, l));
                return builder.build(props);
            });
    }

    /** Two streams grouped by key, cogrouped into one String aggregate. */
    static Scenario cogroup() {
        return Scenario.named("cogroup")
            .input("cogroup-a", STRING, STRING)
            .input("cogroup-b", STRING, STRING)
            .output("cogroup-output", STRING, STRING)
            .topology((params, props) -> {
                final Serde<String> s = Serdes.String();
                final StreamsBuilder builder = new StreamsBuilder();
                final KGroupedStream<String, String> a = builder
                    .stream("cogroup-a", Consumed.with(s, s)).groupByKey(Grouped.with(s, s));
                final KGroupedStream<String, String> b = builder
                    .stream("cogroup-b", Consumed.with(s, s)).groupByKey(Grouped.with(s, s));
                a.<String>cogroup((k, v, agg) -> agg + "A" + v)
                    .cogroup(b, (k, v, agg) -> agg + "B" + v)
                    .aggregate(() -> "",
                        Materialized.<String, String, KeyValueStore<Bytes, byte[]>>as("cogroup-agg")
                            .withKeySerde(s).withValueSerde(s))
                    .toStream()
                    .to("cogroup-output", Produced.with(s, s));
                return builder.build(props);
            });
    }
}
