import type { CommandSpec } from '../command.js';

export const clusterCommand: CommandSpec = {
  command: 'cluster',
  describe:
    'Start the EMBEDDED control plane (API server subset, scheduler, controllers, CloudCore-compatible hubs ' +
    'behind a load balancer) on loopback and keep it running until Ctrl-C. A demo target and test fixture, not Kubernetes.',
  options: {
    hubs: {
      type: 'number',
      default: 2,
      describe: 'CloudCore-compatible hub instances behind the L4 load balancer',
    },
    'node-limit': {
      type: 'number',
      default: 5000,
      describe: 'nodeLimit per hub instance (CloudCore default: 500)',
    },
    'scheduler-qps': {
      type: 'number',
      default: 1000,
      describe: 'scheduler binding throughput (pods/s)',
    },
    dir: {
      type: 'string',
      default: '.hollowfleet/cluster',
      describe: 'directory for the kubeconfig, CA and token files (created with mode 0700)',
    },
    'lb-port': { type: 'number', default: 0, describe: 'load-balancer port (0 = any free port)' },
    'cert-port': {
      type: 'number',
      default: 0,
      describe: 'certificate-server port (0 = any free port)',
    },
    'api-port': { type: 'number', default: 0, describe: 'API server port (0 = any free port)' },
    json: {
      type: 'boolean',
      default: false,
      describe: 'print the connection details as JSON on stdout',
    },
  },
  load: async () => (await import('./cluster.js')).clusterHandler,
};

export const commands: CommandSpec[] = [clusterCommand];
