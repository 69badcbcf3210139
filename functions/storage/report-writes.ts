/**
 * Collects the writes of one report transaction: several changes of one figure become one update
 * (a transaction may touch an item once), additive figures use ADD (so concurrent transactions
 * never overwrite each other's counts; amounts summed here are kept to the figures' 6 decimals, as
 * each record's are) and each update keeps the condition it was computed under.
 */
import { exact } from '../domain/reports/contributions';
import type { TransactWriteItem } from './transactions';

type Key = { readonly pk: string; readonly sk: string };

interface PendingWrite {
  readonly key: Key;
  readonly add: Map<string, number>;
  readonly set: Map<string, unknown>;
  readonly setIfMissing: Map<string, unknown>;
  readonly conditions: Array<{ readonly expression: string; readonly values: Record<string, unknown> }>;
}

export class ReportWrites {
  private readonly writes = new Map<string, PendingWrite>();

  constructor(private readonly table: string) {}

  private at(key: Key): PendingWrite {
    const id = `${key.pk}\u0000${key.sk}`;
    let write = this.writes.get(id);
    if (!write) {
      write = { key, add: new Map(), set: new Map(), setIfMissing: new Map(), conditions: [] };
      this.writes.set(id, write);
    }
    return write;
  }

  /** Adds to numeric attributes; `labels` are set too, so a figure read alone says what it counts. */
  add(key: Key, amounts: Record<string, number>, labels: Record<string, unknown> = {}): this {
    const write = this.at(key);
    for (const [name, amount] of Object.entries(amounts)) write.add.set(name, exact((write.add.get(name) ?? 0) + amount));
    for (const [name, value] of Object.entries(labels)) write.set.set(name, value);
    return this;
  }

  set(key: Key, values: Record<string, unknown>): this {
    const write = this.at(key);
    for (const [name, value] of Object.entries(values)) write.set.set(name, value);
    return this;
  }

  setIfMissing(key: Key, values: Record<string, unknown>): this {
    const write = this.at(key);
    for (const [name, value] of Object.entries(values)) write.setIfMissing.set(name, value);
    return this;
  }

  /** A condition on the item as it is before the transaction: `#a` names attribute `a`, `:x` a value of `values` (letters only). */
  require(key: Key, expression: string, values: Record<string, unknown> = {}): this {
    this.at(key).conditions.push({ expression, values });
    return this;
  }

  get size(): number {
    return this.writes.size;
  }

  /** Items the transaction would hold with `other`'s writes merged in. */
  sizeWith(other: ReportWrites): number {
    let added = 0;
    for (const id of other.writes.keys()) if (!this.writes.has(id)) added++;
    return this.writes.size + added;
  }

  /** Takes `other`'s writes into this transaction: amounts add up, values and conditions are kept. */
  merge(other: ReportWrites): this {
    for (const write of other.writes.values()) {
      const into = this.at(write.key);
      for (const [name, amount] of write.add) into.add.set(name, exact((into.add.get(name) ?? 0) + amount));
      for (const [name, value] of write.set) into.set.set(name, value);
      for (const [name, value] of write.setIfMissing) into.setIfMissing.set(name, value);
      for (const condition of write.conditions) {
        if (!into.conditions.some((kept) => kept.expression === condition.expression && sameValues(kept.values, condition.values))) into.conditions.push(condition);
      }
    }
    return this;
  }

  items(): TransactWriteItem[] {
    return [...this.writes.values()].map((write) => this.item(write));
  }

  private item(write: PendingWrite): TransactWriteItem {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    let counter = 0;
    const name = (attribute: string) => {
      const alias = `#n${Object.keys(names).length}`;
      names[alias] = attribute;
      return alias;
    };
    const value = (v: unknown) => {
      const alias = `:v${counter++}`;
      values[alias] = v;
      return alias;
    };
    const conditions = write.conditions.map(({ expression, values: own }) => {
      // One pass each: the aliases it makes (with digits) are never read again as the caller's.
      const text = expression
        .replace(/#([A-Za-z]+)/g, (_, attribute: string) => name(attribute))
        .replace(/:([A-Za-z]+)/g, (token: string) => {
          if (!(token in own)) throw new Error(`No value for ${token} in ${expression}`);
          return value(own[token]);
        });
      return `(${text})`;
    });
    const condition = conditions.length ? { ConditionExpression: conditions.join(' AND ') } : {};
    const sets = [
      ...[...write.set].map(([attribute, v]) => `${name(attribute)} = ${value(v)}`),
      // A value set outright supersedes a default for the same attribute (one path per expression).
      ...[...write.setIfMissing].filter(([attribute]) => !write.set.has(attribute)).map(([attribute, v]) => {
        const alias = name(attribute);
        return `${alias} = if_not_exists(${alias}, ${value(v)})`;
      }),
    ];
    const adds = [...write.add].map(([attribute, amount]) => `${name(attribute)} ${value(amount)}`);
    const expression = [sets.length ? `SET ${sets.join(', ')}` : '', adds.length ? `ADD ${adds.join(', ')}` : ''].filter(Boolean).join(' ');
    const attributes = {
      ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
      ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
    };
    if (!expression) return { ConditionCheck: { TableName: this.table, Key: write.key, ConditionExpression: conditions.join(' AND ') || 'attribute_exists(pk) OR attribute_not_exists(pk)', ...attributes } };
    return { Update: { TableName: this.table, Key: write.key, UpdateExpression: expression, ...condition, ...attributes } };
  }
}

function sameValues(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}
