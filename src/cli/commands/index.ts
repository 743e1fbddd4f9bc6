import type { CommandSpec, OptionSpec } from '../command.js';

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
      env: 'HOLLOWFLEET_CERT_DIR',
      describe:
        'certificate cache directory (default ~/.cache/hollowfleet/certs; a writable volume in a read-only container)',
    },
    profile: {
      type: 'string',
      env: 'HOLLOWFLEET_PROFILE',
      describe:
        'YAML file of defaults for keepalive, lease-interval, status-interval, pod-start-delay, node-labels and pods (the deploy ConfigMap); flags win',
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

export const compareCommand: CommandSpec = {
  command: 'compare <baseline> <current>',
  describe:
    'Compare two runs (run directories or summary.json files) metric by metric; exits 4 when the current run regressed beyond both the relative tolerance and the absolute floor.',
  positionals: {
    baseline: { type: 'string', describe: 'baseline run directory or summary.json' },
    current: { type: 'string', describe: 'current run directory or summary.json' },
  },
  options: {
    tolerance: {
      type: 'string',
      default: '10%',
      describe: 'relative change allowed before a metric counts as regressed (10% or 0.1)',
    },
    'min-delta': {
      type: 'string',
      default: '5ms',
      describe:
        'absolute change below which a time metric never counts as regressed (noise floor): a Go duration such as 5ms or 1.5s, or bare milliseconds',
    },
    json: {
      type: 'boolean',
      default: false,
      describe: 'print the comparison as JSON on stdout',
    },
    all: {
      type: 'boolean',
      default: false,
      describe: 'list every metric, also those within noise (default: only their count)',
    },
  },
  load: async () => (await import('./report.js')).compareHandler,
};

export const reportCommand: CommandSpec = {
  command: 'report <dir>',
  describe:
    'Re-render report.html and summary.md of a run directory from its summary.json (e.g. after upgrading hollowfleet) and print the SLO table.',
  positionals: {
    dir: { type: 'string', describe: 'run directory (or reports/latest, or a summary.json)' },
  },
  options: {},
  load: async () => (await import('./report.js')).reportHandler,
};

const deployTarget: Record<string, OptionSpec> = {
  namespace: {
    type: 'string',
    default: 'hollowfleet',
    describe: 'namespace of the shard pods in the external cluster',
  },
  name: {
    type: 'string',
    default: 'hollowfleet',
    describe: 'name of the Job, Service and ConfigMap (and the fleet label value)',
  },
};

const deployKubeconfig: OptionSpec = {
  type: 'string',
  demandOption: true,
  describe:
    'kubeconfig of the EXTERNAL cluster that hosts the shard pods (not the cluster under test)',
};

const deployShape: Record<string, OptionSpec> = {
  nodes: { type: 'number', describe: 'hollow nodes in the whole fleet (with --shards)' },
  shards: { type: 'number', describe: 'shard pods (an Indexed Job of this many completions)' },
  'nodes-per-shard': {
    type: 'number',
    describe:
      'hollow nodes per shard pod, instead of --nodes/--shards (10,000–19,000 is a good size)',
  },
  processes: {
    type: 'number',
    describe:
      'fleet processes per shard pod (default: one per 19,000 nodes, a process holds 20,000 descriptors)',
  },
  cloudcore: {
    type: 'string',
    demandOption: true,
    describe:
      'CloudCore address(es) of the cluster under test, HOST:PORT[,HOST:PORT…] (its L4 load balancer)',
  },
  'cert-server': {
    type: 'string',
    demandOption: true,
    describe: 'CloudCore certificate server URL, e.g. https://cloudcore.example:10002',
  },
  'token-secret': {
    type: 'string',
    describe: 'existing Secret in --namespace holding the join token under key tokendata',
  },
  'token-file': {
    type: 'string',
    describe: 'file holding the join token; rendered into a Secret <name>-join-token',
  },
  image: {
    type: 'string',
    demandOption: true,
    describe: 'hollowfleet container image (built from the Dockerfile)',
  },
  'image-pull-policy': {
    type: 'string',
    default: 'IfNotPresent',
    choices: ['Always', 'IfNotPresent', 'Never'],
    describe: 'image pull policy',
  },
  ...deployTarget,
  prefix: { type: 'string', default: 'hollow', describe: 'node name prefix' },
  'metrics-port': {
    type: 'number',
    default: 9464,
    describe: 'port of /metrics, /snapshot, /healthz and /readyz in each shard pod',
  },
  'tls-server-name': {
    type: 'string',
    describe:
      "name to verify CloudCore's certificate against when the load balancer's name is not in it",
  },
  'cert-strategy': {
    type: 'string',
    default: 'shared',
    choices: ['shared', 'per-node'],
    describe: 'one certificate per shard, or one per node (CloudCore authorization.enable: true)',
  },
  'connect-rate': {
    type: 'number',
    default: 500,
    describe:
      'connects started per second per shard (the CPU limit adds rate/280 cores for the handshakes)',
  },
  keepalive: { type: 'string', describe: 'fleet profile: keepalive interval (default 15s)' },
  'lease-interval': {
    type: 'string',
    describe: 'fleet profile: lease renewal interval (default 10s)',
  },
  'status-interval': {
    type: 'string',
    describe: 'fleet profile: node status interval (default 5m)',
  },
  'pod-start-delay': {
    type: 'string',
    describe: 'fleet profile: pod start delay, e.g. uniform:100ms-2s',
  },
  'node-labels': { type: 'string', describe: 'fleet profile: extra node labels, k=v,k2=v2' },
  pods: { type: 'string', describe: 'fleet profile: pods capacity per node (default 110)' },
  'node-selector': {
    type: 'string',
    describe: 'schedule shard pods only on external-cluster nodes with these labels, k=v,k2=v2',
  },
  duration: {
    type: 'string',
    describe: 'each shard exits after this long (default: runs until the Job is deleted)',
  },
  'termination-grace-period': {
    type: 'number',
    default: 60,
    describe: 'seconds a shard gets on SIGTERM to close its connections',
  },
};

export const deployRenderCommand: CommandSpec = {
  command: 'deploy render',
  describe:
    'Print the manifests (Namespace, Secret, ConfigMap, headless Service, Indexed Job) that run a sharded fleet in an external Kubernetes cluster.',
  options: {
    ...deployShape,
    output: {
      type: 'string',
      alias: 'o',
      default: 'yaml',
      choices: ['yaml', 'json'],
      describe: 'output format on stdout',
    },
  },
  load: async () => (await import('./deploy.js')).deployRenderHandler,
};

export const deployApplyCommand: CommandSpec = {
  command: 'deploy apply',
  describe:
    'Render the sharded fleet and server-side apply it (field manager hollowfleet) to the external cluster.',
  options: {
    ...deployShape,
    kubeconfig: deployKubeconfig,
    'wait-ready': {
      type: 'string',
      describe:
        'then wait until this share of all nodes is Ready across the shards, e.g. 99.9% (exit 2 naming missing and unreachable shards otherwise)',
    },
    'wait-timeout': { type: 'string', default: '15m', describe: 'time allowed for --wait-ready' },
  },
  load: async () => (await import('./deploy.js')).deployApplyHandler,
};

export const deployStatusCommand: CommandSpec = {
  command: 'deploy status',
  describe:
    "List the shard pods with their phase and nodes connected/Ready, read from each pod's /snapshot through the API server's pod proxy.",
  options: {
    ...deployTarget,
    kubeconfig: deployKubeconfig,
    'metrics-port': { type: 'number', default: 9464, describe: "the shards' metrics port" },
    output: {
      type: 'string',
      alias: 'o',
      default: 'table',
      choices: ['table', 'json'],
      describe: 'output format on stdout',
    },
  },
  load: async () => (await import('./deploy.js')).deployStatusHandler,
};

export const deployDeleteCommand: CommandSpec = {
  command: 'deploy delete',
  describe:
    'Delete the Job (each shard closes its connections within its grace period), Service, ConfigMap, rendered Secret and the namespace hollowfleet created.',
  options: {
    ...deployTarget,
    kubeconfig: deployKubeconfig,
    'keep-namespace': { type: 'boolean', default: false, describe: 'leave the namespace in place' },
  },
  load: async () => (await import('./deploy.js')).deployDeleteHandler,
};

/** One line for each group of `group action` commands in `hollowfleet --help`. */
export const commandGroups: Record<string, string> = {
  deploy:
    'Run the fleet as shard pods in an external Kubernetes cluster: render | apply | status | delete',
};

export const runCommand: CommandSpec = {
  command: 'run <scenario>',
  describe:
    'Run a ClusterLoader2-style scenario end to end: without --kubeconfig against the EMBEDDED control plane with a local fleet; with it against a real cluster. Writes reports/<time>-<name>/ and reports/latest.',
  positionals: {
    scenario: { type: 'string', describe: 'scenario file (CL2 config), e.g. scenarios/smoke.yaml' },
  },
  options: {
    nodes: {
      type: 'number',
      describe:
        '.Nodes for the scenario; with a local fleet also its size (default: the fleet section, else 100). Without it and without a local fleet, counted as CL2 does (schedulable, Ready, no built-in taints)',
    },
    testoverrides: {
      type: 'array',
      default: [],
      describe:
        'override files (flat YAML maps of parameters), later files win; CL2_* variables also apply',
    },
    kubeconfig: {
      type: 'string',
      describe:
        'kubeconfig of the cluster under test (omit for the embedded control plane; $KUBECONFIG is deliberately not read)',
    },
    cloudcore: {
      type: 'string',
      describe:
        'CloudCore address(es) for a local fleet against a real cluster: HOST:PORT[,HOST:PORT…]',
    },
    'cert-server': {
      type: 'string',
      describe:
        "CloudCore's certificate server for a local fleet, e.g. https://cloudcore.example:10002",
    },
    token: {
      type: 'string',
      env: 'HOLLOWFLEET_TOKEN',
      describe: 'join token (default: read from the kubeedge/tokensecret Secret)',
    },
    'token-file': { type: 'string', describe: 'read the join token from this file' },
    'tls-server-name': {
      type: 'string',
      describe: "name to verify CloudCore's certificate against when the address is an IP",
    },
    fleet: {
      type: 'string',
      choices: ['local', 'external', 'none'],
      default: 'local',
      describe:
        'local: start the hollow nodes in this process; external: they run elsewhere (shards), wait for --nodes Ready edge nodes; none: no edge nodes',
    },
    'fleet-url': {
      type: 'array',
      default: [],
      describe:
        'external fleet: snapshot URLs of the shards (http://host:port), merged for the edge SLIs and the readiness diagnosis',
    },
    'fleet-kubeconfig': {
      type: 'string',
      describe:
        'external fleet deployed with `hollowfleet deploy`: kubeconfig of the cluster that runs the shard pods (their snapshots are read through its pod proxy)',
    },
    'fleet-namespace': {
      type: 'string',
      default: 'hollowfleet',
      describe: 'namespace of the shard pods (with --fleet-kubeconfig)',
    },
    'fleet-selector': {
      type: 'string',
      default: 'app.kubernetes.io/name=hollowfleet',
      describe: 'label selector of the shard pods (with --fleet-kubeconfig)',
    },
    'fleet-port': {
      type: 'number',
      default: 9464,
      describe: "the shard pods' metrics port (with --fleet-kubeconfig)",
    },
    'wait-ready': {
      type: 'string',
      default: '100%',
      describe: 'fraction of the expected nodes that must be Ready before the steps start',
    },
    'wait-timeout': {
      type: 'string',
      default: '10m',
      describe: 'time allowed for the nodes to be Ready (exit 2 when exceeded)',
    },
    workers: { type: 'number', describe: 'fleet worker threads (default: one per core)' },
    baseline: {
      type: 'string',
      describe: 'compare with this earlier run (directory or summary.json); exit 4 on regression',
    },
    tolerance: {
      type: 'string',
      default: '10%',
      describe: 'relative change allowed before a metric counts as regressed',
    },
    'min-delta': {
      type: 'string',
      default: '5ms',
      describe:
        'absolute change a latency must also exceed to count as regressed: a Go duration such as 5ms or 1.5s, or bare milliseconds',
    },
    strict: {
      type: 'boolean',
      default: false,
      describe: 'measurements hollowfleet does not support fail the run instead of being skipped',
    },
    seed: {
      type: 'number',
      describe: 'seed for template randomness and the fleet (reproducible runs)',
    },
    reports: {
      type: 'string',
      default: 'reports',
      describe: 'directory that receives the run directory and the latest link',
    },
    dir: {
      type: 'string',
      default: '.hollowfleet/run',
      describe: 'state directory (embedded control plane, node certificates)',
    },
    json: { type: 'boolean', default: false, describe: 'print summary.json on stdout' },
  },
  load: async () => (await import('./run.js')).runHandler,
};

export const renderCommand: CommandSpec = {
  command: 'render <scenario>',
  describe:
    'Render a scenario without a cluster: the expanded step plan (steps, phases, namespaces, measurements) and, with --objects, every object it would create.',
  positionals: {
    scenario: { type: 'string', describe: 'scenario file (CL2 config)' },
  },
  options: {
    nodes: { type: 'number', default: 100, describe: '.Nodes to render with' },
    testoverrides: {
      type: 'array',
      default: [],
      describe: 'override files (flat YAML maps of parameters), later files win',
    },
    objects: { type: 'boolean', default: false, describe: 'also print the rendered objects' },
    seed: { type: 'number', describe: 'seed for template randomness' },
    json: { type: 'boolean', default: false, describe: 'print the plan as JSON instead of YAML' },
  },
  load: async () => (await import('./render.js')).renderHandler,
};

export const commands: CommandSpec[] = [
  runCommand,
  renderCommand,
  clusterCommand,
  fleetCommand,
  compareCommand,
  reportCommand,
  deployRenderCommand,
  deployApplyCommand,
  deployStatusCommand,
  deployDeleteCommand,
];
