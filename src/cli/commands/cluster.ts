import { resolve } from 'node:path';
import { ExitCode } from '../../common/exit-codes.js';
import { startEmbeddedCluster } from '../../embedded/cluster.js';
import type { ParsedArgs } from '../command.js';
import { paint, type Output } from '../output.js';

export async function clusterHandler(args: ParsedArgs, out: Output): Promise<number> {
  const cluster = await startEmbeddedCluster({
    dir: resolve(String(args.dir)),
    hubs: Number(args.hubs),
    nodeLimit: Number(args['node-limit']),
    apiPort: Number(args['api-port']),
    lbPort: Number(args['lb-port']),
    certPort: Number(args['cert-port']),
    controllers: { scheduler: { qps: Number(args['scheduler-qps']) } },
    caDir: typeof args['ca-dir'] === 'string' ? resolve(args['ca-dir']) : undefined,
  });
  const info = cluster.info;
  if (args.json) out.data(JSON.stringify(info));
  out.info(
    paint(
      out.color,
      'bold',
      'hollowfleet embedded control plane (a demo target and test fixture, not Kubernetes)',
    ),
  );
  out.info(`  kubeconfig     ${info.kubeconfig}`);
  out.info(`  API server     ${info.apiServer}`);
  out.info(
    `  CloudCore      ${info.cloudcore}   (load balancer over ${info.hubAddresses.join(', ')})`,
  );
  out.info(`  cert server    ${info.certServer}`);
  out.info(`  token file     ${info.tokenFile}`);
  out.info('');
  out.info(`Try: kubectl --kubeconfig ${info.kubeconfig} get nodes`);
  out.info('Press Ctrl-C to stop.');
  await new Promise<void>((resolveStop) => {
    const stop = () => resolveStop();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  out.info('stopping…');
  await cluster.close();
  return ExitCode.Pass;
}
