package raystreams.oracle;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeSet;

/**
 * A case's scenario parameters, checked against the defaults the scenario declares:
 * an unknown name is an error, so a typo never silently falls back to a default.
 */
public final class Params {
    private final Map<String, Object> defaults;
    private final JsonNode given;

    Params(final String scenario, final Map<String, Object> defaults, final JsonNode given) {
        this.defaults = defaults;
        this.given = given == null || given.isNull() ? Codec.MAPPER.createObjectNode() : given;
        if (!this.given.isObject()) {
            throw new IllegalArgumentException("params must be a JSON object, got: " + given);
        }
        final TreeSet<String> unknown = new TreeSet<>();
        for (final Iterator<String> it = this.given.fieldNames(); it.hasNext(); ) {
            final String name = it.next();
            if (!defaults.containsKey(name)) {
                unknown.add(name);
            }
        }
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("unknown params " + unknown + " for scenario "
                + scenario + "; known: " + new TreeSet<>(defaults.keySet()));
        }
    }

    /** A whole-number parameter (milliseconds, counts). */
    public long longValue(final String name) {
        final JsonNode node = given.get(name);
        if (node == null || node.isNull()) {
            return ((Number) declared(name)).longValue();
        }
        if (node.isIntegralNumber()) {
            return node.longValue();
        }
        if (node.isTextual()) {
            return Long.parseLong(node.textValue().trim());
        }
        throw new IllegalArgumentException("param " + name + " must be an integer, got: " + node);
    }

    /** A text parameter. */
    public String text(final String name) {
        final JsonNode node = given.get(name);
        if (node == null || node.isNull()) {
            return (String) declared(name);
        }
        return node.isTextual() ? node.textValue() : node.toString();
    }

    private Object declared(final String name) {
        if (!defaults.containsKey(name)) {
            throw new IllegalStateException("scenario reads undeclared param " + name);
        }
        return defaults.get(name);
    }
}
