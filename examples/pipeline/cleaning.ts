/**
 * A small pipeline step written against the streams API only: raw readings -> cleaning step ->
 * clean readings. It runs unchanged on the twin and on a real cluster (any `Kafka` of the shared
 * interface). Each raw stream becomes a clean stream with the same id on the clean topic.
 */
import {
  CommitMode,
  type StreamConsumer,
  type StreamingClient,
  type TopicConsumer,
  type TopicConsumerOptions,
  type TopicProducer,
} from '../../src/streams/index.js';

/** A reading as the sensors send it: the value may be missing or a string, the unit °F or °C. */
export interface RawReading {
  /** The reading. */
  value: number | string | null;
  /** Its unit. */
  unit: 'C' | 'F';
}

/** A clean reading: a number in °C, rounded to 0.1. */
export interface CleanReading {
  /** Degrees Celsius. */
  celsius: number;
}

/** The cleaning rule: drops unusable readings, converts to °C, rounds. */
export function clean(raw: RawReading): CleanReading | undefined {
  const n = typeof raw.value === 'string' ? Number(raw.value) : raw.value;
  if (n === null || !Number.isFinite(n)) return undefined;
  const celsius = raw.unit === 'F' ? ((n - 32) * 5) / 9 : n;
  if (celsius < -90 || celsius > 60) return undefined; // outside what the sensors can measure
  return { celsius: Math.round(celsius * 10) / 10 };
}

/** Options for {@link startCleaningStep}. */
export interface CleaningStepOptions {
  /** The topic to read raw readings from. */
  rawTopic: string;
  /** The topic to write clean readings to. */
  cleanTopic: string;
  /**
   * The consumer group of the step's instances.
   * @defaultValue 'cleaning-step'
   */
  consumerGroup?: string;
  /**
   * Passed to the step's Kafka consumer (say, shorter polls and heartbeats).
   * @defaultValue undefined
   */
  consumerConfig?: TopicConsumerOptions['consumerConfig'];
}

/** A running instance of the cleaning step. */
export interface CleaningStep {
  /** The consumer reading the raw topic. */
  readonly input: TopicConsumer<RawReading>;
  /** The producer writing the clean topic. */
  readonly output: TopicProducer<CleanReading>;
  /** Stops the instance: commits what was written, leaves the group, flushes. */
  close(): Promise<void>;
}

/**
 * Starts one instance of the cleaning step. Offsets are committed only after the clean messages
 * they produced were written (the step flushes its output on `committing`): at least once.
 */
export async function startCleaningStep(
  client: StreamingClient,
  { rawTopic, cleanTopic, consumerGroup = 'cleaning-step', consumerConfig }: CleaningStepOptions,
): Promise<CleaningStep> {
  const input = client.getTopicConsumer<RawReading>(rawTopic, consumerGroup, {
    commitSettings: CommitMode.Automatic,
    ...(consumerConfig ? { consumerConfig } : {}),
  });
  const output = client.getTopicProducer<CleanReading>(cleanTopic);

  input.on('committing', () => output.flush());
  input.on('streamReceived', (raw: StreamConsumer<RawReading>) => {
    const out = output.getOrCreateStream(raw.streamId);
    out.properties.parents = [raw.streamId];
    raw.on('propertiesChanged', (p) => {
      out.properties.name = p.name;
      out.properties.location = p.location;
      out.properties.metadata = { ...p.metadata, cleanedBy: 'cleaning-step' };
      out.properties.timeOfRecording = p.timeOfRecording;
    });
    raw.on('data', ({ value, timestamp }) => {
      const cleaned = clean(value);
      if (cleaned !== undefined) out.publish(cleaned, { timestamp });
    });
    raw.on('closed', (endType) => out.close(endType));
  });
  await input.subscribe();
  return {
    input,
    output,
    async close() {
      await input.close();
      await output.close();
    },
  };
}
