package raystreams.bench;

import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Suppressed;
import org.apache.kafka.streams.kstream.TimeWindows;

/**
 * Kafka Streams 4.4 twins of bench/run.py's workloads (b)-(e), written as a Kafka Streams
 * user would: (b) filter + mapValues, (c) word count, (d) a tumbling-window count with
 * suppress(untilWindowCloses), (e) a stream-table join. Arguments are key=value pairs:
 * workload, bootstrap, app.id, input, output, table, guarantee, threads, commit.ms,
 * state.dir, window.ms. Prints "RUNNING epoch-seconds" when the instance reaches RUNNING,
 * and runs until SIGTERM (a shutdown hook closes it).
 */
public final class BenchApp {
    private BenchApp() {
    }

    public static void main(String[] argv) throws Exception {
        Map<String, String> args = new HashMap<>();
        for (String a : argv) {
            int eq = a.indexOf('=');
            args.put(a.substring(0, eq), a.substring(eq + 1));
        }
        String workload = args.get("workload");
        String input = args.get("input");
        String output = args.get("output");
        long windowMs = Long.parseLong(args.getOrDefault("window.ms", "1000"));

        StreamsBuilder builder = new StreamsBuilder();
        switch (workload) {
            case "b" -> builder.<String, String>stream(input)
                    .filter((k, v) -> v.length() % 5 != 0)
                    .mapValues(v -> v.toUpperCase())
                    .to(output);
            case "c" -> builder.<String, String>stream(input)
                    .flatMapValues(v -> Arrays.asList(v.split(" ")))
                    .groupBy((k, word) -> word)
                    .count()
                    .toStream()
                    .to(output, Produced.with(Serdes.String(), Serdes.Long()));
            case "d" -> builder.<String, String>stream(input)
                    .groupByKey()
                    .windowedBy(TimeWindows.ofSizeWithNoGrace(Duration.ofMillis(windowMs)))
                    // explicit serdes: with the defaults the suppress buffer gets the default
                    // (String) serde for its Windowed keys and fails with a ClassCastException
                    .count(Materialized.with(Serdes.String(), Serdes.Long()))
                    .suppress(Suppressed.untilWindowCloses(Suppressed.BufferConfig.unbounded()))
                    .toStream((wk, n) -> wk.key() + "@" + wk.window().start())
                    .to(output, Produced.with(Serdes.String(), Serdes.Long()));
            case "e" -> {
                KTable<String, String> table = builder.table(args.get("table"));
                KStream<String, String> stream = builder.stream(input);
                stream.join(table, (v, t) -> v + "|" + t).to(output);
            }
            default -> throw new IllegalArgumentException("unknown workload " + workload);
        }

        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, args.get("app.id"));
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, args.get("bootstrap"));
        props.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
        props.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, args.getOrDefault("guarantee", "at_least_once"));
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Integer.parseInt(args.getOrDefault("threads", "1")));
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, Long.parseLong(args.getOrDefault("commit.ms", "1000")));
        props.put(StreamsConfig.STATE_DIR_CONFIG, args.get("state.dir"));
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");

        KafkaStreams streams = new KafkaStreams(builder.build(), props);
        CountDownLatch closed = new CountDownLatch(1);
        streams.setStateListener((now, before) -> {
            if (now == KafkaStreams.State.RUNNING) {
                System.out.printf("RUNNING %.3f%n", System.currentTimeMillis() / 1000.0);
                System.out.flush();
            } else if (now == KafkaStreams.State.ERROR) {
                System.out.println("ERROR");
                System.out.flush();
            }
        });
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            streams.close(Duration.ofSeconds(30));
            closed.countDown();
        }));
        streams.start();
        closed.await();
    }
}
