/**
 * Fault injection for the storage ports: every call a service makes through a wrapped adapter
 * (or every DynamoDB command a wrapped client sends) is a numbered step, and a hook decides what
 * happens at it: crash before the call (nothing written), crash after it (written, but the caller
 * never hears), or wait (to interleave with other work). Steps are counted per `FaultPlan`, so one
 * plan stands for one process running one delivery.
 */
import type { CentralCopy, ChangeLog, OutgoingQueue } from '../../functions/domain/ports';

/** The error a simulated crash throws; anything else is a real failure. */
export class InjectedCrash extends Error {
  constructor(readonly step: Step) {
    super(`injected crash ${step.phase} step ${step.index} (${step.port}.${step.method})`);
    this.name = 'InjectedCrash';
  }
}

export interface Step {
  /** 0-based, over every wrapped call of the plan, in the order the calls were made. */
  readonly index: number;
  readonly port: string;
  readonly method: string;
  readonly phase: 'before' | 'after';
}

export type StepHook = (step: Step) => void | Promise<void>;

export class FaultPlan {
  private next = 0;
  /** Every step started, in order (`port.method`). */
  readonly steps: string[] = [];
  crashed: Step | undefined;

  constructor(private readonly hook: StepHook = () => undefined) {}

  /** A plan that crashes at one step (`at` beyond the last step: never). */
  static crashAt(at: number, phase: 'before' | 'after'): FaultPlan {
    const plan: FaultPlan = new FaultPlan((step) => {
      if (step.index === at && step.phase === phase) {
        plan.crashed = step;
        throw new InjectedCrash(step);
      }
    });
    return plan;
  }

  /** Runs `call` as the next step, with the hook before and after it. */
  async step<T>(port: string, method: string, call: () => Promise<T>): Promise<T> {
    const index = this.next++;
    this.steps.push(`${port}.${method}`);
    await this.hook({ index, port, method, phase: 'before' });
    const result = await call();
    await this.hook({ index, port, method, phase: 'after' });
    return result;
  }

  /** An async iterable as one step: the whole iteration (the hook's 'after' once it is done). */
  async *pages<T>(port: string, method: string, open: () => AsyncIterable<T>): AsyncIterable<T> {
    const pages = await this.step(port, method, async () => {
      const all: T[] = [];
      for await (const page of open()) all.push(page);
      return all;
    });
    yield* pages;
  }
}

/** Wraps every method of an adapter so each call is a step of `plan`. */
export function faultyPort<T extends object>(port: string, target: T, plan: FaultPlan, iterables: ReadonlySet<string> = new Set()): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      if (iterables.has(property)) return (...args: unknown[]) => plan.pages(port, property, () => value.apply(object, args));
      return (...args: unknown[]) => plan.step(port, property, () => value.apply(object, args));
    },
  });
}

export interface StoragePorts {
  readonly centralCopy: CentralCopy;
  readonly outgoing: OutgoingQueue;
  readonly changeLog: ChangeLog;
}

/** The central copy, outgoing queue and change log, each call a step of `plan`. */
export function faultyPorts<T extends StoragePorts>(ports: T, plan: FaultPlan): T {
  return {
    ...ports,
    centralCopy: faultyPort('centralCopy', ports.centralCopy, plan, new Set(['byStore', 'byPatient', 'byParent'])),
    outgoing: faultyPort('outgoing', ports.outgoing, plan),
    changeLog: faultyPort('changeLog', ports.changeLog, plan),
  };
}

/** A DynamoDB (document) client whose every command is a step of `plan`: finer than the ports. */
export function faultyDynamoClient<T extends { send: (...args: any[]) => Promise<any> }>(client: T, plan: FaultPlan): T {
  return new Proxy(client, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver);
      if (property !== 'send' || typeof value !== 'function') return value;
      return (command: { constructor: { name: string } }, ...rest: unknown[]) =>
        plan.step('dynamodb', command.constructor.name, () => value.call(object, command, ...rest));
    },
  });
}
