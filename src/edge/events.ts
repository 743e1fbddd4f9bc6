/**
 * What a hollow node reports to its fleet. Calls are cheap (numbers and short strings), so that
 * thousands of nodes can report every step without allocating event objects.
 */

/** Levels that go up and down (adjusted by ±1). */
export type EdgeGauge = 'connected' | 'registered' | 'ready' | 'podsTracked' | 'podsRunning';

/** Monotonic counters. */
export type EdgeCounter =
  | 'connectAttempts'
  | 'disconnects'
  | 'rejected'
  | 'reconnects'
  | 'registrations'
  | 'podsReceived'
  | 'podsStarted'
  | 'podsDeleted'
  | 'podStatusPatches'
  | 'acksSent'
  | 'requestTimeouts'
  | 'protocolErrors'
  | 'readyRepairs';

/** Latencies in ms, turned into HDR histograms by the fleet. */
export type EdgeMetric =
  /** TCP connect start → WebSocket open (TLS handshake and upgrade included). */
  | 'connectMs'
  /** Connect start → registered and first lease stored: the node is serving. */
  | 'registrationToReadyMs'
  /** Disconnect → Ready again. */
  | 'reconnectToReadyMs'
  /** PodScheduled transition (1 s precision, API clock) → pod received at the node. */
  | 'podDeliveryMs'
  /** Cloud message timestamp → received at the node (downstream latency of pushes). */
  | 'downstreamMs'
  /** Pod received → status patch answered (includes the simulated start delay). */
  | 'podStartMs'
  /** Status patch sent → answered. */
  | 'podStatusRoundTripMs'
  /** Cloud message timestamp → ack written. */
  | 'ackLatencyMs'
  /** Any upstream request sent → answered. */
  | 'requestMs';

export interface EdgeEventSink {
  adjust(gauge: EdgeGauge, delta: number): void;
  count(counter: EdgeCounter, n?: number): void;
  observe(metric: EdgeMetric, ms: number): void;
  /** One message in or out, by operation. */
  message(direction: 'in' | 'out', operation: string): void;
  /** A failure worth a diagnosis: the sink logs each code once and counts the rest. */
  error(node: string, code: string, message: string): void;
}

/** A sink that keeps plain totals in Maps: used by tests and single-node tools. */
export class CountingSink implements EdgeEventSink {
  readonly gauges = new Map<EdgeGauge, number>();
  readonly counters = new Map<EdgeCounter, number>();
  readonly observations = new Map<EdgeMetric, number[]>();
  readonly messages = new Map<string, number>();
  readonly errors: Array<{ node: string; code: string; message: string }> = [];

  adjust(gauge: EdgeGauge, delta: number): void {
    this.gauges.set(gauge, (this.gauges.get(gauge) ?? 0) + delta);
  }
  count(counter: EdgeCounter, n = 1): void {
    this.counters.set(counter, (this.counters.get(counter) ?? 0) + n);
  }
  observe(metric: EdgeMetric, ms: number): void {
    let list = this.observations.get(metric);
    if (!list) {
      list = [];
      this.observations.set(metric, list);
    }
    list.push(ms);
  }
  message(direction: 'in' | 'out', operation: string): void {
    const key = `${direction}:${operation}`;
    this.messages.set(key, (this.messages.get(key) ?? 0) + 1);
  }
  error(node: string, code: string, message: string): void {
    this.errors.push({ node, code, message });
  }
  gauge(name: EdgeGauge): number {
    return this.gauges.get(name) ?? 0;
  }
  counter(name: EdgeCounter): number {
    return this.counters.get(name) ?? 0;
  }
}
