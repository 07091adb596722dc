package raystreams.oracle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Properties;

/**
 * The oracle process: reads one JSON request a line on stdin, writes one JSON answer a
 * line on stdout, until stdin closes. Anything else that would print to stdout goes to
 * stderr, so stdout carries the protocol only. See README.md for the protocol.
 */
public final class OracleServer {
    private OracleServer() { }

    public static void main(final String[] args) throws IOException {
        final Writer protocol = new OutputStreamWriter(
            new FileOutputStream(FileDescriptor.out), StandardCharsets.UTF_8);
        System.setOut(new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8));
        final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            if (line.isBlank()) {
                continue;
            }
            protocol.write(Codec.MAPPER.writeValueAsString(answer(line)));
            protocol.write('\n');
            protocol.flush();
        }
    }

    /** The answer to one request line; never throws. */
    static ObjectNode answer(final String line) {
        final JsonNode request;
        try {
            request = Codec.MAPPER.readTree(line);
        } catch (final IOException | RuntimeException e) {
            return badRequest("request is not JSON: " + e.getMessage());
        }
        if (request == null || !request.isObject()) {
            return badRequest("request must be a JSON object");
        }
        if (request.has("control")) {
            return control(request);
        }
        try {
            return CaseRunner.run(request);
        } catch (final Throwable e) {
            return badRequest("oracle bug: " + e);
        }
    }

    private static ObjectNode control(final JsonNode request) {
        final ObjectNode answer = Codec.MAPPER.createObjectNode();
        if (request.has("id")) {
            answer.set("id", request.get("id"));
        }
        final String control = request.path("control").asText();
        if (!"hello".equals(control)) {
            answer.putObject("error").put("type", "IllegalArgumentException")
                .put("message", "unknown control \"" + control + "\" (hello)").put("phase", "request");
            return answer;
        }
        answer.put("kafka_version", kafkaVersion());
        answer.put("java_version", System.getProperty("java.version"));
        final ObjectNode scenarios = answer.putObject("scenarios");
        for (final Scenario scenario : Scenarios.all()) {
            final ObjectNode entry = scenarios.putObject(scenario.name());
            entry.set("inputs", topics(scenario.inputs()));
            entry.set("outputs", topics(scenario.outputs()));
            final ObjectNode params = entry.putObject("params");
            scenario.paramDefaults().forEach((name, value) -> params.set(name, Codec.MAPPER.valueToTree(value)));
        }
        answer.putNull("error");
        return answer;
    }

    /** Kafka's version, from the kafka-clients jar's kafka/kafka-version.properties. */
    private static String kafkaVersion() {
        try (var in = OracleServer.class.getClassLoader().getResourceAsStream("kafka/kafka-version.properties")) {
            final Properties props = new Properties();
            if (in != null) {
                props.load(in);
            }
            return props.getProperty("version", "unknown");
        } catch (final IOException e) {
            return "unknown";
        }
    }

    private static ArrayNode topics(final Map<String, Scenario.TopicSpec> specs) {
        final ArrayNode topics = Codec.MAPPER.createArrayNode();
        for (final Scenario.TopicSpec spec : specs.values()) {
            topics.addObject().put("topic", spec.topic())
                .put("key", spec.key().wireName()).put("value", spec.value().wireName());
        }
        return topics;
    }

    private static ObjectNode badRequest(final String message) {
        final ObjectNode answer = Codec.MAPPER.createObjectNode();
        answer.putArray("outputs");
        answer.putObject("stores");
        answer.putNull("describe");
        answer.putObject("error").put("type", "IllegalArgumentException").put("message", message)
            .put("phase", "request").putNull("step").putArray("causes");
        return answer;
    }
}
