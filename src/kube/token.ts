import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { ConfigError, HollowfleetError } from '../common/errors.js';

/** Loads a kubeconfig file, with an error that names the file and the fix. */
export function loadKubeconfig(file: string): KubeConfig {
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(file);
  } catch (err) {
    throw new ConfigError(
      `--kubeconfig ${file}: cannot read it as a kubeconfig (${err instanceof Error ? err.message : String(err)})`,
    );
  }
  if (!kc.getCurrentCluster())
    throw new ConfigError(
      `--kubeconfig ${file}: it has no current context with a cluster; set current-context`,
    );
  return kc;
}

/** Reads CloudCore's join token from Secret kubeedge/tokensecret, key tokendata (protocol.md §1.2). */
export async function readJoinToken(
  kc: KubeConfig,
  namespace = 'kubeedge',
  name = 'tokensecret',
): Promise<string> {
  const core = kc.makeApiClient(CoreV1Api);
  try {
    const secret = await core.readNamespacedSecret({ namespace, name });
    const data = secret.data?.tokendata;
    if (!data)
      throw new ConfigError(
        `Secret ${namespace}/${name} has no key "tokendata"; is CloudCore installed in this cluster?`,
      );
    return Buffer.from(data, 'base64').toString('utf8').trim();
  } catch (err) {
    if (err instanceof HollowfleetError) throw err;
    const code = (err as { code?: number }).code;
    if (code === 404)
      throw new ConfigError(
        `Secret ${namespace}/${name} was not found: pass --token or --token-file, or point --kubeconfig at the cluster that runs CloudCore`,
      );
    if (code === 403)
      throw new ConfigError(
        `reading Secret ${namespace}/${name} was forbidden: grant get on secrets in ${namespace}, or pass --token-file`,
      );
    throw new HollowfleetError(
      'HF_KUBE_UNREACHABLE',
      `cannot read Secret ${namespace}/${name} from ${kc.getCurrentCluster()?.server}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}
