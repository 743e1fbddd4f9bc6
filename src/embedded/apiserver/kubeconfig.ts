/**
 * EMBEDDED CONTROL PLANE ONLY. Writes the kubeconfig through which kubectl, client-node and the
 * harness reach the embedded API server.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';

export interface KubeconfigOptions {
  server: string;
  caPem: string;
  clientCertPem?: string;
  clientKeyPem?: string;
  token?: string;
  contextName?: string;
}

export function renderKubeconfig(options: KubeconfigOptions): string {
  const name = options.contextName ?? 'hollowfleet-embedded';
  const user: Record<string, string> = {};
  if (options.clientCertPem)
    user['client-certificate-data'] = Buffer.from(options.clientCertPem).toString('base64');
  if (options.clientKeyPem)
    user['client-key-data'] = Buffer.from(options.clientKeyPem).toString('base64');
  if (options.token) user.token = options.token;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name,
        cluster: {
          server: options.server,
          'certificate-authority-data': Buffer.from(options.caPem).toString('base64'),
        },
      },
    ],
    users: [{ name: `${name}-admin`, user }],
    contexts: [{ name, context: { cluster: name, user: `${name}-admin` } }],
    'current-context': name,
    preferences: {},
  });
}

/** Writes the kubeconfig with mode 0600 (it holds a private key). */
export async function writeKubeconfig(file: string, options: KubeconfigOptions): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, renderKubeconfig(options), { mode: 0o600 });
}
