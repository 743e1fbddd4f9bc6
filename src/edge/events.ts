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
  | 'readyRepairs'
  /** Faults applied to nodes (one per node per injection). */
  | 'faultsApplied'
  /** Connections dropped by a disconnect or flap fault. */
  | 'faultDisconnects'
  /** Messages a degraded or half-open link lost, by direction (up: node → cloud). */
  | 'faultDroppedUp'
  | 'faultDroppedDown'
  /** Messages a degraded link delivered late, by direction. */
  | 'faultDelayedUp'
  | 'faultDelayedDown'
  /** Acks the node wrote that never reached the cloud (lost on the link). */
  | 'faultAcksLost'
  /** Half-open links whose socket the cloud closed meanwhile (the node learns when the fault ends). */
  | 'halfOpenClosedByCloud'
  /** Pushes received again with the msg_id just acked: the cloud resent because an ack was lost. */
  | 'duplicatePushes'
  /** Certificate re-bootstraps (expiry or an expireCredentials fault) and failed ones. */
  | 'certRenewals'
  | 'certRenewalFailures';

/** Latencies in ms, turned into HDR histograms by the fleet. */
export const EDGE_METRICS = [
  /** TCP connect start → WebSocket open (TLS handshake and upgrade included). */
  'connectMs',
  /** Connect start → registered and first lease stored: the node is serving. */
  'registrationToReadyMs',
  /** Disconnect → Ready again. */
  'reconnectToReadyMs',
  /** PodScheduled transition (1 s precision, API clock) → pod received at the node. */
  'podDeliveryMs',
  /** Cloud message timestamp → received at the node (downstream latency of pushes). */
  'downstreamMs',
  /** Pod received → status patch answered (includes the simulated start delay). */
  'podStartMs',
  /** Status patch sent → answered. */
  'podStatusRoundTripMs',
  /** Cloud message timestamp → ack written. */
  'ackLatencyMs',
  /** Any upstream request sent → answered. */
  'requestMs',
  /** End of an injected outage (the node may reconnect again) → Ready. */
  'faultRecoveryMs',
  /** Disconnect → a pod status cut off or held back by it accepted after the reconnect. */
  'podStatusRecoveryMs',
  /** Delay a degraded link added to one message. */
  'faultDelayMs',
  /** Certificate renewal started → Ready again on the new certificate. */
  'certRenewalMs',
] as const;
export type EdgeMetric = (typeof EDGE_METRICS)[number];

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
