/**
 * EMBEDDED CONTROL PLANE ONLY. Starts the stand-ins for kube-scheduler and kube-controller-manager.
 */
import type { MemoryObjectStore } from '../apiserver/store.js';
import {
  GarbageCollector,
  NamespaceController,
  NodeLifecycleController,
  type LifecycleOptions,
} from './lifecycle.js';
import { Scheduler, type SchedulerOptions } from './scheduler.js';
import { WorkloadControllers } from './workloads.js';

export interface ControllerOptions extends LifecycleOptions {
  scheduler?: SchedulerOptions;
}

export interface Controllers {
  scheduler: Scheduler;
  nodeLifecycle: NodeLifecycleController;
  namespaces: NamespaceController;
  stop(): void;
}

export const SYSTEM_NAMESPACES = [
  'default',
  'kube-system',
  'kube-public',
  'kube-node-lease',
  'kubeedge',
];

export function ensureSystemNamespaces(store: MemoryObjectStore): void {
  for (const name of SYSTEM_NAMESPACES)
    if (!store.tryGet('namespaces', undefined, name))
      store.create('namespaces', { metadata: { name } });
}

export function startControllers(
  store: MemoryObjectStore,
  options: ControllerOptions = {},
): Controllers {
  ensureSystemNamespaces(store);
  const scheduler = new Scheduler(store, options.scheduler);
  const workloads = new WorkloadControllers(store);
  const nodeLifecycle = new NodeLifecycleController(store, options);
  const namespaces = new NamespaceController(store, options);
  const gc = new GarbageCollector(store);
  for (const c of [scheduler, workloads, nodeLifecycle, namespaces, gc]) c.start();
  return {
    scheduler,
    nodeLifecycle,
    namespaces,
    stop() {
      for (const c of [scheduler, workloads, nodeLifecycle, namespaces, gc]) c.stop();
    },
  };
}

export {
  Scheduler,
  NodeLifecycleController,
  NamespaceController,
  GarbageCollector,
  WorkloadControllers,
};
