/**
 * The transaction coordinator's broker settings, under Kafka's own names and with Kafka 3.9's
 * defaults (`TransactionLogConfigs`, `TransactionStateManagerConfigs`). Declared in the same shape
 * as emulator/config.ts's `BROKER_CONFIGS` rows so they can move there when the coordinator is
 * wired into the engine; until then {@link parseTxnSettings} reads them.
 */
import { failure, type Failure } from '../../protocol/errors.js';

const INT_MAX = 2147483647;

interface Definition {
  readonly kind: 'int' | 'short' | 'long';
  readonly default: number;
  readonly min: number;
  readonly max?: number;
  readonly doc: string;
}

/** The settings, as rows of Kafka's config definitions. */
export const TXN_SETTINGS = {
  'transaction.state.log.num.partitions': {
    kind: 'int',
    default: 50,
    min: 1,
    doc: 'Partitions of __transaction_state; a transactional id lives on the leader of one of them.',
  },
  'transaction.state.log.replication.factor': {
    kind: 'short',
    default: 3,
    min: 1,
    doc: 'Replication factor of __transaction_state (capped at the running brokers, as offsets.topic.replication.factor is; see docs/fidelity.md).',
  },
  'transaction.state.log.min.isr': { kind: 'int', default: 2, min: 1, doc: 'min.insync.replicas of __transaction_state.' },
  'transaction.max.timeout.ms': {
    kind: 'int',
    default: 900000,
    min: 1,
    doc: 'Largest transaction timeout a producer may ask for; InitProducerId with a larger one gets INVALID_TRANSACTION_TIMEOUT.',
  },
  'transactional.id.expiration.ms': {
    kind: 'int',
    default: 604800000,
    min: 1,
    doc: 'How long a transactional id with no transaction under way and no update is kept before it expires.',
  },
  'transaction.abort.timed.out.transaction.cleanup.interval.ms': {
    kind: 'int',
    default: 10000,
    min: 1,
    doc: 'How often the coordinator aborts transactions that ran past their timeout.',
  },
  'transaction.remove.expired.transaction.cleanup.interval.ms': {
    kind: 'int',
    default: 3600000,
    min: 1,
    doc: 'How often the coordinator removes expired transactional ids.',
  },
} as const satisfies Record<string, Definition>;

export type TxnSettingName = keyof typeof TXN_SETTINGS;

/** Parsed settings. */
export type TxnSettings = { readonly [K in TxnSettingName]: number };

/** Kafka's defaults. */
export const DEFAULT_TXN_SETTINGS: TxnSettings = Object.fromEntries(Object.entries(TXN_SETTINGS).map(([name, d]) => [name, d.default])) as TxnSettings;

/**
 * Settings from overrides (numbers, or their string form as Kafka's APIs carry them) over Kafka's
 * defaults. INVALID_CONFIG naming the setting for an unknown name or a value out of range.
 */
export function parseTxnSettings(overrides: Readonly<Record<string, string | number>> = {}): TxnSettings | Failure {
  const out: Record<string, number> = { ...DEFAULT_TXN_SETTINGS };
  for (const [name, raw] of Object.entries(overrides)) {
    if (!Object.hasOwn(TXN_SETTINGS, name)) return failure('INVALID_CONFIG', `Unknown transaction coordinator setting ${name}`);
    const d: Definition = TXN_SETTINGS[name as TxnSettingName];
    const value = typeof raw === 'number' ? raw : raw.trim() === '' ? NaN : Number(raw);
    const max = d.max ?? (d.kind === 'short' ? 32767 : d.kind === 'int' ? INT_MAX : Number.MAX_SAFE_INTEGER);
    if (!Number.isInteger(value) || value < d.min || value > max) {
      return failure('INVALID_CONFIG', `Invalid value ${String(raw)} for configuration ${name}: must be an integer in [${d.min}, ${max}]`);
    }
    out[name] = value;
  }
  return out as TxnSettings;
}
