package raystreams.oracle;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The registry of every scenario, by name. */
public final class Scenarios {
    private static final Map<String, Scenario> BY_NAME;

    static {
        final List<Scenario> all = new ArrayList<>();
        all.addAll(StatelessScenarios.all());
        all.addAll(TableScenarios.all());
        all.addAll(WindowScenarios.all());
        all.addAll(JoinScenarios.all());
        all.addAll(ProcessorScenarios.all());
        all.addAll(VersionedScenarios.all());
        all.addAll(ExampleScenarios.all());
        final Map<String, Scenario> byName = new TreeMap<>();
        for (final Scenario scenario : all) {
            if (byName.put(scenario.name(), scenario) != null) {
                throw new IllegalStateException("duplicate scenario " + scenario.name());
            }
        }
        BY_NAME = Collections.unmodifiableMap(byName);
    }

    private Scenarios() { }

    /** The scenario of that name, or null. */
    public static Scenario get(final String name) {
        return BY_NAME.get(name);
    }

    /** Every scenario, sorted by name. */
    public static Collection<Scenario> all() {
        return BY_NAME.values();
    }
}
