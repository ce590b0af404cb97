/**
 * kafkajs's TypeScript example from docs/ProducerExample.md (tulios/kafkajs at v2.2.4), compiled against the
 * twin. Copied unchanged but for `new Kafka(` replaced by `cluster.kafka(`; the lines between the
 * ADDED markers (the `cluster` it uses, what the example leaves undeclared) are not kafkajs's.
 */
// ADDED: begin
import { Cluster } from 'kafka-twin';
/** The twin the example's client is made on. */
export const cluster = new Cluster({ clock: 'virtual', config: { 'group.initial.rebalance.delay.ms': 0 } });
// ADDED: end
import { Kafka, Message, Producer, ProducerBatch, TopicMessages } from 'kafkajs'

interface CustomMessageFormat { a: string }

export default class ProducerFactory {
  private producer: Producer

  constructor() {
    this.producer = this.createProducer()
  }

  public async start(): Promise<void> {
    try {
      await this.producer.connect()
    } catch (error) {
      console.log('Error connecting the producer: ', error)
    }
  }

  public async shutdown(): Promise<void> {
    await this.producer.disconnect()
  }

  public async sendBatch(messages: Array<CustomMessageFormat>): Promise<void> {
    const kafkaMessages: Array<Message> = messages.map((message) => {
      return {
        value: JSON.stringify(message)
      }
    })

    const topicMessages: TopicMessages = {
      topic: 'producer-topic',
      messages: kafkaMessages
    }

    const batch: ProducerBatch = {
      topicMessages: [topicMessages]
    }

    await this.producer.sendBatch(batch)
  }

  private createProducer() : Producer {
    const kafka = cluster.kafka({
      clientId: 'producer-client',
      brokers: ['localhost:9092'],
    })

    return kafka.producer()
  }
}
