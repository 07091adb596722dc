package raystreams.oracle;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.Topology;

/**
 * One oracle scenario: a topology as a Kafka Streams user writes it, plus the serdes of
 * the topics a case pipes into and reads from. Documented, one by one, in SCENARIOS.md.
 */
public final class Scenario {
    /** Builds the topology; {@code props} is the case's full config, for {@code build(props)}. */
    @FunctionalInterface
    public interface Builder {
        Topology build(Params params, Properties props) throws Exception;
    }

    /** A topic's key and value codecs. */
    public record TopicSpec(String topic, Codec key, Codec value) { }

    private final String name;
    private final Map<String, TopicSpec> inputs = new LinkedHashMap<>();
    private final Map<String, TopicSpec> outputs = new LinkedHashMap<>();
    private final Map<String, Object> paramDefaults = new LinkedHashMap<>();
    private Builder builder;

    private Scenario(final String name) {
        this.name = name;
    }

    /** Starts the definition of a scenario. */
    public static Scenario named(final String name) {
        return new Scenario(name);
    }

    /** Declares an input topic and its serdes. */
    public Scenario input(final String topic, final Codec key, final Codec value) {
        inputs.put(topic, new TopicSpec(topic, key, value));
        return this;
    }

    /** Declares an output topic and its serdes. */
    public Scenario output(final String topic, final Codec key, final Codec value) {
        outputs.put(topic, new TopicSpec(topic, key, value));
        return this;
    }

    /** Declares a parameter and its default (a Long or a String). */
    public Scenario param(final String param, final Object defaultValue) {
        paramDefaults.put(param, defaultValue);
        return this;
    }

    /** Sets the topology builder; ends the definition. */
    public Scenario topology(final Builder topologyBuilder) {
        this.builder = topologyBuilder;
        return this;
    }

    public String name() {
        return name;
    }

    public Map<String, TopicSpec> inputs() {
        return Collections.unmodifiableMap(inputs);
    }

    public Map<String, TopicSpec> outputs() {
        return Collections.unmodifiableMap(outputs);
    }

    public Map<String, Object> paramDefaults() {
        return Collections.unmodifiableMap(paramDefaults);
    }

    Builder builder() {
        return builder;
    }
}
