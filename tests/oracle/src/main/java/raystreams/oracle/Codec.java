package raystreams.oracle;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The three serdes a scenario may use for a key or a value, and how each one
 * travels on the wire: always as text, or JSON null for a Kafka null.
 *
 * <ul>
 *   <li>{@code STRING}: Kafka's StringSerde (UTF-8); wire text is the string.</li>
 *   <li>{@code LONG}: Kafka's LongSerde (8 bytes big-endian); wire text is decimal.</li>
 *   <li>{@code JSON}: a Jackson {@link JsonNode} serde (UTF-8 JSON); wire text is the
 *       JSON document, rendered back compactly (no spaces, key order kept).</li>
 * </ul>
 */
public enum Codec {
    STRING, LONG, JSON;

    /** One shared mapper: it is thread-safe and costly to create. */
    public static final ObjectMapper MAPPER = new ObjectMapper();

    /** The serde user code hands to Consumed/Produced/Grouped/Materialized. */
    @SuppressWarnings("unchecked")
    public <T> Serde<T> serde() {
        switch (this) {
            case STRING:
                return (Serde<T>) Serdes.String();
            case LONG:
                return (Serde<T>) Serdes.Long();
            default:
                return (Serde<T>) jsonSerde();
        }
    }

    /** Wire text to the Java object this codec's serde serializes. */
    public Object parse(final String text) {
        if (text == null) {
            return null;
        }
        switch (this) {
            case STRING:
                return text;
            case LONG:
                return Long.parseLong(text.trim());
            default:
                try {
                    return MAPPER.readTree(text);
                } catch (final JsonProcessingException e) {
                    throw new IllegalArgumentException("not a JSON document: " + text, e);
                }
        }
    }

    /** A deserialized object of any supported type back to wire text. */
    public String render(final Object value) {
        return Render.text(value);
    }

    /** A {@link JsonNode} serde, as a user would write one with Jackson. */
    public static Serde<JsonNode> jsonSerde() {
        final Serializer<JsonNode> serializer = (topic, node) -> {
            if (node == null) {
                return null;
            }
            try {
                return MAPPER.writeValueAsBytes(node);
            } catch (final JsonProcessingException e) {
                throw new SerializationException("cannot write JSON", e);
            }
        };
        final Deserializer<JsonNode> deserializer = (topic, bytes) -> {
            if (bytes == null) {
                return null;
            }
            try {
                return MAPPER.readTree(bytes);
            } catch (final IOException e) {
                throw new SerializationException("cannot read JSON", e);
            }
        };
        return Serdes.serdeFrom(serializer, deserializer);
    }

    /** Parses "string", "long" or "json" (any case). */
    public static Codec of(final String name) {
        return Codec.valueOf(name.toUpperCase(java.util.Locale.ROOT));
    }

    /** The name used in SCENARIOS.md and the hello answer. */
    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
