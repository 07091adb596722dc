package raystreams.oracle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.ReadOnlySessionStore;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;
import org.apache.kafka.streams.test.TestRecord;

/**
 * Runs one case: builds the scenario's topology, drives a fresh TopologyTestDriver
 * through the steps, and renders outputs, stores, describe() and any error as JSON.
 * Never throws: every failure becomes the answer's "error".
 */
final class CaseRunner {
    /** Where a case failed, reported as error.phase. */
    private enum Phase { REQUEST, BUILD, STEP, STORES, CLOSE }

    private final JsonNode request;
    private final ObjectNode answer = Codec.MAPPER.createObjectNode();
    private final ArrayNode outputs;
    private final ObjectNode stores;
    private final Map<String, TestInputTopic<Object, Object>> inputTopics = new HashMap<>();
    private final Map<String, TestOutputTopic<Object, Object>> outputTopics = new HashMap<>();
    private Scenario scenario;
    private TopologyTestDriver driver;
    /** Non-null when the case commits every commit.interval.ms instead of per record. */
    private IntervalCommits interval;
    private String applicationId;
    private long wallClockMs;

    private CaseRunner(final JsonNode request) {
        this.request = request;
        if (request.has("id")) {
            answer.set("id", request.get("id"));
        }
        outputs = answer.putArray("outputs");
        stores = answer.putObject("stores");
        answer.putNull("describe");
        answer.putNull("error");
    }

    /** Runs the case in {@code request} and returns its answer. */
    static ObjectNode run(final JsonNode request) {
        final CaseRunner runner = new CaseRunner(request);
        runner.runCase();
        return runner.answer;
    }

    private void runCase() {
        Phase phase = Phase.REQUEST;
        int step = -1;
        Path stateDir = null;
        try {
            final String name = request.path("scenario").asText(null);
            scenario = name == null ? null : Scenarios.get(name);
            if (scenario == null) {
                throw new IllegalArgumentException("unknown scenario: " + name + "; known: "
                    + Scenarios.all().stream().map(Scenario::name).toList());
            }
            final JsonNode steps = request.path("steps");
            if (!steps.isMissingNode() && !steps.isNull() && !steps.isArray()) {
                throw new IllegalArgumentException("steps must be a JSON array");
            }
            stateDir = newStateDir();
            final Properties props = config(name, stateDir);
            applicationId = props.getProperty(StreamsConfig.APPLICATION_ID_CONFIG);
            final Params params = new Params(name, scenario.paramDefaults(), request.get("params"));

            phase = Phase.BUILD;
            final Topology topology = scenario.builder().build(params, props);
            answer.put("describe", topology.describe().toString());
            driver = new TopologyTestDriver(topology, props, Instant.ofEpochMilli(0));
            final String commits = request.path("commits").asText("per_record");
            if ("interval".equals(commits)) {
                interval = new IntervalCommits(driver,
                    new StreamsConfig(props).getLong(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG));
            } else if (!"per_record".equals(commits)) {
                throw new IllegalArgumentException("commits must be per_record or interval: " + commits);
            }

            phase = Phase.STEP;
            if (steps.isArray()) {
                for (step = 0; step < steps.size(); step++) {
                    runStep(steps.get(step));
                    if (interval != null) {
                        interval.maybeCommit();
                    }
                    collectOutputs(step);
                }
            }
            step = -1;
            phase = Phase.STORES;
            readStores();
        } catch (final Throwable e) {
            if (phase == Phase.STEP && driver != null) {
                // keep what the failing step produced before it threw, and the final stores
                collectQuietly(step);
                try {
                    readStores();
                } catch (final Throwable ignored) {
                    // the error of the step is the one to report
                }
            }
            fail(phase, step, e);
        } finally {
            close();
            deleteQuietly(stateDir);
        }
    }

    /**
     * A fresh state.dir under the system property raystreams.oracle.stateRoot (the harness
     * sets target/state), else under java.io.tmpdir.
     */
    private static Path newStateDir() throws IOException {
        final String root = System.getProperty("raystreams.oracle.stateRoot");
        if (root == null || root.isBlank()) {
            return Files.createTempDirectory("raystreams-oracle-");
        }
        final Path rootDir = Files.createDirectories(Path.of(root));
        return Files.createTempDirectory(rootDir, "case-");
    }

    private Properties config(final String name, final Path stateDir) {
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, name);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "dummy:1234");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        final JsonNode config = request.path("config");
        if (config.isMissingNode() || config.isNull()) {
            return props;
        }
        if (!config.isObject()) {
            throw new IllegalArgumentException("config must be a JSON object");
        }
        for (final Map.Entry<String, JsonNode> entry : config.properties()) {
            if (entry.getValue().isNull()) {
                props.remove(entry.getKey());
            } else {
                props.put(entry.getKey(), entry.getValue().asText());
            }
        }
        return props;
    }

    private void runStep(final JsonNode step) {
        final String op = step.path("op").asText("");
        switch (op) {
            case "pipe":
                pipe(step);
                break;
            case "advance":
                final JsonNode ms = step.path("ms");
                if (!ms.isIntegralNumber()) {
                    throw new IllegalArgumentException("advance needs an integer \"ms\": " + step);
                }
                if (interval != null) {
                    interval.advance(ms.longValue());
                } else {
                    driver.advanceWallClockTime(Duration.ofMillis(ms.longValue()));
                }
                wallClockMs += ms.longValue();
                break;
            default:
                throw new IllegalArgumentException("unknown op \"" + op + "\" (pipe, advance): " + step);
        }
    }

    private void pipe(final JsonNode step) {
        final String topic = step.path("topic").asText(null);
        if (topic == null) {
            throw new IllegalArgumentException("pipe needs a \"topic\": " + step);
        }
        final Scenario.TopicSpec spec = scenario.inputs().getOrDefault(topic,
            new Scenario.TopicSpec(topic, Codec.STRING, Codec.STRING));
        final TestInputTopic<Object, Object> input = inputTopics.computeIfAbsent(topic,
            t -> driver.createInputTopic(t, spec.key().serde().serializer(), spec.value().serde().serializer()));
        final Object key = spec.key().parse(wireText(step, "key"));
        final Object value = spec.value().parse(wireText(step, "value"));
        final JsonNode ts = step.path("timestamp");
        final long timestamp;
        if (ts.isMissingNode() || ts.isNull()) {
            timestamp = wallClockMs;
        } else if (ts.isIntegralNumber()) {
            timestamp = ts.longValue();
        } else {
            throw new IllegalArgumentException("timestamp must be an integer: " + step);
        }
        final Headers headers = headers(step.path("headers"));
        if (interval != null && interval.readsTopic(topic)) {
            interval.pipe(topic, timestamp, spec.key().serde().serializer().serialize(topic, key),
                spec.value().serde().serializer().serialize(topic, value), headers);
            return;
        }
        input.pipeInput(new TestRecord<>(key, value, headers, timestamp));
    }

    private static String wireText(final JsonNode step, final String field) {
        final JsonNode node = step.path(field);
        if (node.isMissingNode() || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            throw new IllegalArgumentException(field + " must be a string or null (text on the wire): " + step);
        }
        return node.textValue();
    }

    private static Headers headers(final JsonNode headers) {
        final RecordHeaders result = new RecordHeaders();
        if (headers.isMissingNode() || headers.isNull()) {
            return result;
        }
        for (final JsonNode pair : headers) {
            if (!pair.isArray() || pair.size() != 2 || !pair.get(0).isTextual()) {
                throw new IllegalArgumentException("a header is [name, value-or-null]: " + pair);
            }
            final JsonNode value = pair.get(1);
            result.add(pair.get(0).textValue(),
                value.isNull() ? null : value.asText().getBytes(StandardCharsets.UTF_8));
        }
        return result;
    }

    /** Drains every non-internal topic the topology produced to, in topic-name order. */
    private void collectOutputs(final int step) {
        for (final String topic : new TreeSet<>(driver.producedTopicNames())) {
            if (isInternal(topic)) {
                continue;
            }
            final Scenario.TopicSpec spec = scenario.outputs().getOrDefault(topic,
                new Scenario.TopicSpec(topic, Codec.STRING, Codec.STRING));
            final TestOutputTopic<Object, Object> output = outputTopics.computeIfAbsent(topic,
                t -> driver.createOutputTopic(t, spec.key().serde().deserializer(),
                    spec.value().serde().deserializer()));
            for (final TestRecord<Object, Object> record : output.readRecordsToList()) {
                final ObjectNode out = outputs.addObject();
                out.put("step", step);
                out.put("topic", topic);
                out.put("key", Render.text(record.key()));
                out.put("value", Render.text(record.value()));
                out.put("timestamp", record.timestamp());
                final ArrayNode headers = out.putArray("headers");
                for (final Header header : record.headers()) {
                    final ArrayNode pair = headers.addArray();
                    pair.add(header.key());
                    pair.add(header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8));
                }
            }
        }
    }

    private void collectQuietly(final int step) {
        try {
            collectOutputs(step);
        } catch (final Throwable ignored) {
            // best effort after a failed step
        }
    }

    /** Repartition, changelog and foreign-key subscription topics are the app's own. */
    private boolean isInternal(final String topic) {
        return topic.startsWith(applicationId + "-")
            && (topic.endsWith("-repartition") || topic.endsWith("-changelog") || topic.endsWith("-topic"));
    }

    private void readStores() {
        final JsonNode names = request.path("stores");
        if (names.isMissingNode() || names.isNull()) {
            return;
        }
        final Map<String, StateStore> all = driver.getAllStateStores();
        for (final JsonNode nameNode : names) {
            final String name = nameNode.asText();
            if (!all.containsKey(name)) {
                throw new IllegalArgumentException("unknown store: " + name + "; stores: " + new TreeSet<>(all.keySet()));
            }
            stores.set(name, rows(name, all.get(name)));
        }
    }

    @SuppressWarnings("unchecked")
    private static ArrayNode rows(final String name, final StateStore store) {
        final ArrayNode rows = Codec.MAPPER.createArrayNode();
        if (store instanceof ReadOnlyKeyValueStore) {
            try (KeyValueIterator<Object, Object> it = ((ReadOnlyKeyValueStore<Object, Object>) store).all()) {
                it.forEachRemaining(kv -> rows.addArray()
                    .add(Render.text(kv.key)).add(Render.text(Render.plain(kv.value))));
            }
        } else if (store instanceof ReadOnlyWindowStore) {
            try (KeyValueIterator<Windowed<Object>, Object> it =
                     ((ReadOnlyWindowStore<Object, Object>) store).all()) {
                it.forEachRemaining(kv -> rows.addArray()
                    .add(Render.text(kv.key.key())).add(kv.key.window().start())
                    .add(Render.text(Render.plain(kv.value))));
            }
        } else if (store instanceof ReadOnlySessionStore) {
            try (KeyValueIterator<Windowed<Object>, Object> it =
                     ((ReadOnlySessionStore<Object, Object>) store).fetch(null, null)) {
                it.forEachRemaining(kv -> rows.addArray()
                    .add(Render.text(kv.key.key())).add(kv.key.window().start()).add(kv.key.window().end())
                    .add(Render.text(Render.plain(kv.value))));
            }
        } else {
            throw new IllegalArgumentException("store " + name + " cannot be listed: "
                + (store == null ? "not connected to any processor" : store.getClass().getSimpleName()));
        }
        return rows;
    }

    private void close() {
        if (driver == null) {
            return;
        }
        try {
            if (interval != null) {
                interval.commitAll();
            }
            driver.close();
        } catch (final Throwable e) {
            if (answer.get("error").isNull()) {
                fail(Phase.CLOSE, -1, e);
            }
        }
    }

    private void fail(final Phase phase, final int step, final Throwable e) {
        final ObjectNode error = answer.putObject("error");
        error.put("type", e.getClass().getSimpleName());
        error.put("message", e.getMessage());
        error.put("phase", phase.name().toLowerCase(java.util.Locale.ROOT));
        if (step >= 0) {
            error.put("step", step);
        } else {
            error.putNull("step");
        }
        final ArrayNode causes = error.putArray("causes");
        final List<Throwable> seen = new ArrayList<>();
        for (Throwable cause = e.getCause(); cause != null && !seen.contains(cause); cause = cause.getCause()) {
            seen.add(cause);
            causes.addObject().put("type", cause.getClass().getSimpleName()).put("message", cause.getMessage());
        }
        // for whoever debugs the oracle: a line per failed case, the stack when it ran
        System.err.println("oracle: case " + request.path("scenario").asText() + " failed in "
            + phase.name().toLowerCase(java.util.Locale.ROOT) + (step >= 0 ? " at step " + step : "")
            + ": " + e);
        if (phase == Phase.STEP || phase == Phase.STORES || phase == Phase.CLOSE) {
            e.printStackTrace(System.err);
        }
    }

    private static void deleteQuietly(final Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (final IOException ignored) {
            // a leftover temp dir is harmless
        }
    }
}
