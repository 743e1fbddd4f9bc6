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
    'ca-dir': {
      type: 'string',
      describe:
        'share one CA (ca.crt, ca.key) between several embedded control planes; created if missing',
    },
    json: {
      type: 'boolean',
      default: false,
      describe: 'print the connection details as JSON on stdout',
    },
  },
  load: async () => (await import('./cluster.js')).clusterHandler,
};

export const fleetCommand: CommandSpec = {
  command: 'fleet',
  describe:
    'Run N hollow edge nodes against CloudCore (worker threads, shared TLS context) until Ctrl-C, --duration, or a failed --wait-ready gate.',
  options: {
    nodes: {
      type: 'number',
      demandOption: true,
      describe: 'hollow nodes in this fleet (this shard)',
    },
    cloudcore: {
      type: 'string',
      demandOption: true,
      env: 'HOLLOWFLEET_CLOUDCORE',
      describe:
        'CloudCore WebSocket address(es), HOST:PORT[,HOST:PORT…] (port 10000 by default in CloudCore)',
    },
    'cert-server': {
      type: 'string',
      demandOption: true,
      env: 'HOLLOWFLEET_CERT_SERVER',
      describe: 'CloudCore certificate server URL, e.g. https://cloudcore:10002',
    },
    token: {
      type: 'string',
      env: 'HOLLOWFLEET_TOKEN',
      describe:
        'join token (<ca hash>.<jwt>); prefer --token-file, tokens on command lines end up in shell history',
    },
    'token-file': {
      type: 'string',
      env: 'HOLLOWFLEET_TOKEN_FILE',
      describe: 'file holding the join token',
    },
    kubeconfig: {
      type: 'string',
      describe: 'read the token from Secret kubeedge/tokensecret through this kubeconfig',
    },
    shard: {
      type: 'string',
      env: 'HOLLOWFLEET_SHARD',
      describe:
        'this fleet is shard INDEX/COUNT (0-based) of a larger one; names are <prefix>-<index>-<n>',
    },
    prefix: { type: 'string', default: 'hollow', describe: 'node name prefix' },
    workers: { type: 'number', describe: 'worker threads per process (default: one per core)' },
    processes: {
      type: 'number',
      describe:
        'fleet processes on this machine (one process holds about 19,900 sockets: its descriptor limit)',
    },
    'node-labels': { type: 'string', describe: 'extra node labels, k=v,k2=v2' },
    pods: { type: 'string', describe: 'pods capacity per node (default 110)' },
    'cert-strategy': {
      type: 'string',
      default: 'shared',
      choices: ['shared', 'per-node'],
      describe:
        'one certificate for the fleet, or one per node (CloudCore authorization.enable: true)',
    },
    'cert-dir': {
      type: 'string',
      describe: 'certificate cache directory (default ~/.cache/hollowfleet/certs)',
    },
    'tls-server-name': {
      type: 'string',
      describe:
        'name to verify CloudCore certificates against when the dialled address is not in them',
    },
    'insecure-skip-tls-verify': {
      type: 'boolean',
      default: false,
      describe: 'do not verify CloudCore server certificates (explicit opt-out)',
    },
    'connect-rate': {
      type: 'number',
      default: 500,
      describe: 'connects started per second across the fleet (0 = unlimited)',
    },
    'max-handshakes': {
      type: 'number',
      default: 100,
      describe: 'TLS handshakes in flight across the fleet',
    },
    keepalive: {
      type: 'string',
      describe: 'keepalive interval (default 15s; CloudCore drops sessions after 30s without one)',
    },
    'lease-interval': { type: 'string', describe: 'lease renewal interval (default 10s)' },
    'status-interval': { type: 'string', describe: 'node status report interval (default 5m)' },
    'pod-start-delay': {
      type: 'string',
      describe:
        'pod start delay: constant:0, uniform:100ms-2s, normal:1s,200ms, lognormal:800ms,0.5',
    },
    'wait-ready': {
      type: 'string',
      describe:
        'fail (exit 2) unless this share of nodes is Ready within --wait-timeout, e.g. 99.9%',
    },
    'wait-timeout': { type: 'string', default: '10m', describe: 'time allowed for --wait-ready' },
    duration: {
      type: 'string',
      describe: 'stop after this long (default: run until SIGINT/SIGTERM)',
    },
    'metrics-port': {
      type: 'number',
      describe: 'serve /metrics, /snapshot, /healthz and /readyz on this port (0 = any free port)',
    },
    'metrics-host': {
      type: 'string',
      default: '127.0.0.1',
      describe: 'address for the metrics endpoint (0.0.0.0 in a pod)',
    },
    'fault-api': {
      type: 'boolean',
      default: false,
      describe:
        'also serve POST /faults and DELETE /faults/<id> on the metrics port, for drivers that inject faults into remote shards',
    },
    json: {
      type: 'boolean',
      default: false,
      describe: 'print the final summary as JSON on stdout',
    },
  },
  load: async () => (await import('./fleet.js')).fleetHandler,
};

export const demoCommand: CommandSpec = {
  command: 'demo',
  describe:
    'The quick start (npm start): embedded control plane + a local fleet + a Deployment spread over it; measures pod startup, API latency and edge SLIs, checks the SLOs and writes reports/latest.',
  options: {
    nodes: { type: 'number', default: 100, describe: 'hollow nodes' },
    'pods-per-node': {
      type: 'number',
      default: 3,
      describe: 'pods per node in the latency Deployment',
    },
    workers: { type: 'number', describe: 'fleet worker threads (default: one per core)' },
    reports: {
      type: 'string',
      default: 'reports',
      describe: 'directory that receives the run directory and the latest link',
    },
    dir: {
      type: 'string',
      default: '.hollowfleet/demo',
      describe: 'state directory of the embedded control plane',
    },
    'timeout-seconds': {
      type: 'number',
      default: 180,
      describe: 'time allowed for nodes to be Ready and for pods to run',
    },
    json: { type: 'boolean', default: false, describe: 'print summary.json on stdout' },
  },
  load: async () => (await import('./demo.js')).demoHandler,
};

export const commands: CommandSpec[] = [demoCommand, clusterCommand, fleetCommand];
