import type { FastifyReply } from 'fastify';

/** Text safe inside an XML element or attribute. */
export const escapeXml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * An S3 error answer of the embedded S3's own: its status, and the XML error body the SDK reads
 * the code and message from.
 */
export function s3ErrorReply(
  reply: FastifyReply,
  status: number,
  code: string,
  message: string,
  resource: string,
) {
  return reply
    .status(status)
    .header('content-type', 'application/xml')
    .send(
      `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message><Resource>${escapeXml(resource)}</Resource></Error>`,
    );
}
