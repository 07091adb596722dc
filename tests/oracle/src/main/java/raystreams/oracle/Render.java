package raystreams.oracle;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.AggregationWithHeaders;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.apache.kafka.streams.state.ValueTimestampHeaders;

/** Renders deserialized keys and values (from topics or stores) as wire text. */
public final class Render {
    private Render() { }

    /**
     * Text for one object: null stays null; String as is; numbers in decimal; JSON compact;
     * a {@link Windowed} key as {@code key@start/end}; a timestamped value (or one with
     * headers) as its plain value; bytes as UTF-8.
     */
    public static String text(final Object value) {
        if (value == null) {
            return null;
        }
        if (value instanceof String) {
            return (String) value;
        }
        if (value instanceof Number || value instanceof Boolean) {
            return value.toString();
        }
        if (value instanceof JsonNode) {
            try {
                return Codec.MAPPER.writeValueAsString(value);
            } catch (final JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }
        if (value instanceof Windowed) {
            final Windowed<?> windowed = (Windowed<?>) value;
            return text(windowed.key()) + "@" + windowed.window().start() + "/" + windowed.window().end();
        }
        final Object plain = plain(value);
        if (plain != value) {
            return text(plain);
        }
        if (value instanceof byte[]) {
            return new String((byte[]) value, StandardCharsets.UTF_8);
        }
        return value.toString();
    }

    /** Strips store wrappers (timestamp, headers) from a value; other objects pass through. */
    public static Object plain(final Object value) {
        if (value instanceof ValueAndTimestamp) {
            return ((ValueAndTimestamp<?>) value).value();
        }
        if (value instanceof ValueTimestampHeaders) {
            return ((ValueTimestampHeaders<?>) value).value();
        }
        if (value instanceof AggregationWithHeaders) {
            return ((AggregationWithHeaders<?>) value).aggregation();
        }
        return value;
    }
}
