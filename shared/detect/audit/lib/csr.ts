/** The PKCS#10 request of a CertificateSigningRequest, as latin1 text of its DER bytes (empty when unreadable). */
function requestText(request: unknown): string {
  if (typeof request !== 'string' || request.length > 64 * 1024) return '';
  const pem = Buffer.from(request, 'base64').toString('latin1');
  const body = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  return Buffer.from(body, 'base64').toString('latin1');
}

/** Whether a CSR's PKCS#10 request names the system:masters group (its subject's O), read from the DER bytes. */
export function requestsMasters(request: unknown): boolean {
  return requestText(request).includes('system:masters');
}

const NODE_PREFIX = 'system:node:';

/**
 * The node a CSR's subject names (`CN=system:node:NAME`), read from the DER bytes: the byte
 * before the string is its length (names are shorter than 128 bytes in the short form).
 */
export function requestedNodeName(request: unknown): string | undefined {
  const text = requestText(request);
  const at = text.indexOf(NODE_PREFIX);
  if (at < 1) return undefined;
  const length = text.charCodeAt(at - 1);
  if (length <= NODE_PREFIX.length || length >= 128) return undefined;
  const name = text.slice(at + NODE_PREFIX.length, at + length);
  return /^[A-Za-z0-9.-]+$/.test(name) ? name : undefined;
}
