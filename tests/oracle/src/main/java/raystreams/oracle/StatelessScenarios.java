package raystreams.oracle;

import static raystreams.oracle.Codec.STRING;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;

/** Scenarios without state: the core record-at-a-time operators. */
final class StatelessScenarios {
    private StatelessScenarios() { }

    static List<Scenario> all() {
        return List.of(statelessOps(), splitBranches());
    }

    /** merge, filter, mapValues, selectKey, flatMap, peek, to. */
    static Scenario statelessOps() {
        return Scenario.named("stateless_ops")
            .input("stateless-a", STRING, STRING)
            .input("stateless-b", STRING, STRING)
            .output("stateless-output", STRING, STRING)
            .topology((params, props) -> {
                final Serde<String> s = Serdes.String();
                final StreamsBuilder builder = new StreamsBuilder();
                final KStream<String, String> a = builder.stream("stateless-a", Consumed.with(s, s));
                final KStream<String, String> b = builder.stream("stateless-b", Consumed.with(s, s));
                a.merge(b)
                    .filter((k, v) -> v != null && !v.startsWith("drop"))
                    .mapValues(v -> v.toUpperCase(Locale.ROOT))
                    .selectKey((k, v) -> v.isEmpty() ? "" : v.substring(0, 1))
                    .flatMap((k, v) -> Arrays.asList(
                        KeyValue.pair(k, v),
                        KeyValue.pair(k + "-len", String.valueOf(v.length()))))
                    .peek((k, v) -> { })
                    .to("stateless-output", Produced.with(s, s));
                return builder.build(props);
            });
    }

    /** split into named branches, each to its own topic. */
    static Scenario splitBranches() {
        return Scenario.named("split_branches")
            .input("split-input", STRING, STRING)
            .output("branch-a", STRING, STRING)
            .output("branch-b", STRING, STRING)
            .output("branch-other", STRING, STRING)
            .topology((params, props) -> {
                final Serde<String> s = Serdes.String();
                final StreamsBuilder builder = new StreamsBuilder();
                final Map<String, KStream<String, String>> branches = builder
                    .stream("split-input", Consumed.with(s, s))
                    .split(Named.as("split-"))
                    .branch((k, v) -> v != null && v.startsWith("a"), Branched.as("a"))
                    .branch((k, v) -> v != null && v.startsWith("b"), Branched.as("b"))
                    .defaultBranch(Branched.as("other"));
                branches.get("split-a").to("branch-a", Produced.with(s, s));
                branches.get("split-b").to("branch-b", Produced.with(s, s));
                branches.get("split-other").to("branch-other", Produced.with(s, s));
                return builder.build(props);
            });
    }
}
