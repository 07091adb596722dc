package raystreams.oracle;

import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.processor.internals.StreamTask;

/**
 * Drives a TopologyTestDriver's own StreamTask with commits every {@code commit.interval.ms}
 * of mocked wall-clock time, as a StreamThread commits, instead of after every record.
 *
 * <p>TopologyTestDriver commits (and so flushes every record cache) after each input record,
 * whatever {@code commit.interval.ms} says. Cache deduplication and the order caches flush
 * in only show with several records between commits, so this runs the driver's task the way
 * StreamThread does: a piped record is queued and processed at once (the driver's
 * {@code enqueueTaskRecord}, then process until nothing is processable), and after each step
 * the task commits if more than {@code commit.interval.ms} passed since its last commit
 * ({@code StreamThread.maybeCommit}: {@code now - lastCommitMs > commitTimeMs}). Wall-clock
 * advances fire due wall-clock punctuators without forcing a commit. The driver's private
 * members are reached by reflection; the task, stores, caches and record collector are
 * Kafka's own. raystreams' twin runner drives its driver by the same rule.
 */
final class IntervalCommits {
    private final TopologyTestDriver driver;
    private final StreamTask task;
    private final Time clock;
    private final long commitIntervalMs;
    private final Method inputPartition;
    private final Method enqueue;
    private final Method capture;
    private final Method commit;
    private long lastCommitMs;

    IntervalCommits(final TopologyTestDriver driver, final long commitIntervalMs) throws ReflectiveOperationException {
        this.driver = driver;
        this.commitIntervalMs = commitIntervalMs;
        final Class<?> type = TopologyTestDriver.class;
        task = (StreamTask) field(type, "task").get(driver);
        clock = (Time) field(type, "mockWallClockTime").get(driver);
        inputPartition = method(type, "getInputTopicOrPatternPartition", String.class);
        enqueue = method(type, "enqueueTaskRecord", String.class, TopicPartition.class, long.class,
            byte[].class, byte[].class, Headers.class);
        capture = method(type, "captureOutputsAndReEnqueueInternalResults");
        commit = method(type, "commit", Map.class);
        lastCommitMs = clock.milliseconds();
    }

    /** Whether {@code topic} is read by the task (else the driver's own pipe handles it). */
    boolean readsTopic(final String topic) {
        return task != null && invoke(inputPartition, topic) != null;
    }

    /** Queues one serialized record on the task and processes what became processable. */
    void pipe(final String topic, final long timestamp, final byte[] key, final byte[] value,
              final Headers headers) {
        invoke(enqueue, topic, invoke(inputPartition, topic), timestamp, key, value, headers);
        processAll();
    }

    /** Moves the mocked wall clock and fires due wall-clock punctuators (no forced commit). */
    void advance(final long ms) {
        clock.sleep(ms);
        if (task != null) {
            task.maybePunctuateSystemTime();
        }
        processAll();
    }

    /** After a step: commit if more than commit.interval.ms passed since the last commit. */
    void maybeCommit() {
        if (task != null && clock.milliseconds() - lastCommitMs > commitIntervalMs) {
            commit();
        }
    }

    /**
     * Before the driver closes: commit until nothing is left to process, as a clean shutdown
     * commits (the driver's close flushes caches after closing the processors, which only
     * works with clean caches).
     */
    void commitAll() {
        while (task != null && commit()) {
            // what the last flush sent through a repartition topic was processed: commit again
        }
    }

    /** Commits; true if the records the flush re-enqueued were processed after it. */
    private boolean commit() {
        final long now = clock.milliseconds();
        final Map<TopicPartition, OffsetAndMetadata> offsets = task.prepareCommit(true);
        invoke(commit, offsets);
        task.postCommit(true);
        lastCommitMs = now;
        return processAll();  // what the flush sent to repartition topics is read on
    }

    private boolean processAll() {
        invoke(capture);
        if (task == null) {
            return false;
        }
        boolean processed = false;
        task.resumePollingForPartitionsWithAvailableSpace();
        task.updateLags();
        final long now = clock.milliseconds();
        while (task.hasRecordsQueued() && task.isProcessable(now)) {
            processed |= task.process(now);
            task.maybePunctuateStreamTime();
            invoke(capture);
        }
        return processed;
    }

    private Object invoke(final Method method, final Object... args) {
        try {
            return method.invoke(driver, args);
        } catch (final InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException) {
                throw (RuntimeException) e.getCause();
            }
            throw new IllegalStateException(e.getCause());
        } catch (final IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Field field(final Class<?> type, final String name) throws NoSuchFieldException {
        final Field field = type.getDeclaredField(name);
        field.setAccessible(true);
        return field;
    }

    private static Method method(final Class<?> type, final String name, final Class<?>... params)
            throws NoSuchMethodException {
        final Method method = type.getDeclaredMethod(name, params);
        method.setAccessible(true);
        return method;
    }
}
