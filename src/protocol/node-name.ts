import { InvalidNodeNameError } from './errors.js';

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Throws InvalidNodeNameError unless `name` is a DNS-1123 subdomain, as Kubernetes requires of node names. */
export function assertValidNodeName(name: string): void {
  if (name.length === 0) throw new InvalidNodeNameError(name, 'it is empty');
  if (name.length > 253)
    throw new InvalidNodeNameError(
      name,
      `it has ${name.length} characters, at most 253 are allowed`,
    );
  if (name !== name.toLowerCase())
    throw new InvalidNodeNameError(name, 'it contains upper-case letters');
  for (const label of name.split('.')) {
    if (!LABEL.test(label)) {
      throw new InvalidNodeNameError(
        name,
        `"${label}" must consist of lower-case letters, digits and '-', and start and end with a letter or digit`,
      );
    }
  }
}
