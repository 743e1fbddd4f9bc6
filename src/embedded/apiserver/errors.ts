/**
 * EMBEDDED CONTROL PLANE ONLY. Kubernetes `Status` errors with kube-apiserver's reasons, codes and
 * message texts.
 */
import { ApiStatusError, type Status } from './store-api.js';
import type { ResourceInfo } from './resources.js';

function status(
  code: number,
  reason: string,
  message: string,
  details?: Status['details'],
): ApiStatusError {
  const s: Status = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  };
  if (details) s.details = details;
  return new ApiStatusError(s);
}

function qualified(info: ResourceInfo): string {
  return info.group === '' ? info.plural : `${info.plural}.${info.group}`;
}

export const errors = {
  notFound: (info: ResourceInfo, name: string) =>
    status(404, 'NotFound', `${qualified(info)} "${name}" not found`, {
      name,
      group: info.group,
      kind: info.plural,
    }),
  alreadyExists: (info: ResourceInfo, name: string) =>
    status(409, 'AlreadyExists', `${qualified(info)} "${name}" already exists`, {
      name,
      group: info.group,
      kind: info.plural,
    }),
  conflict: (
    info: ResourceInfo,
    name: string,
    why = 'the object has been modified; please apply your changes to the latest version and try again',
  ) =>
    status(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${qualified(info)} "${name}": ${why}`,
      {
        name,
        group: info.group,
        kind: info.plural,
      },
    ),
  invalid: (
    info: ResourceInfo,
    name: string,
    causes: Array<{ field: string; message: string; reason?: string }>,
  ) =>
    status(
      422,
      'Invalid',
      `${info.kind} "${name}" is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join(', ')}`,
      {
        name,
        group: info.group,
        kind: info.kind,
        causes: causes.map((c) => ({
          reason: c.reason ?? 'FieldValueInvalid',
          message: c.message,
          field: c.field,
        })),
      },
    ),
  forbidden: (message: string) => status(403, 'Forbidden', message),
  gone: (message: string) => status(410, 'Expired', message),
  badRequest: (message: string) => status(400, 'BadRequest', message),
  notFoundPlain: (message: string) => status(404, 'NotFound', message),
  methodNotAllowed: (message: string) => status(405, 'MethodNotAllowed', message),
  unauthorized: () => status(401, 'Unauthorized', 'Unauthorized'),
  tooLarge: () =>
    status(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728'),
  unsupportedMediaType: (type: string) =>
    status(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json; got ${type}`,
    ),
  internal: (message: string) => status(500, 'InternalError', message),
  serviceUnavailable: (message: string) => status(503, 'ServiceUnavailable', message),
};
