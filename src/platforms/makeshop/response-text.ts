import iconv from 'iconv-lite';

/**
 * Decodes a legacy API reply. MakeShop's legacy endpoints predate UTF-8 everywhere (the deliver memo is
 * EUC-JP), so honour the charset the reply declares (Content-Type, then the XML declaration) and fall
 * back from UTF-8 to CP932 when the bytes are not valid UTF-8.
 */
export function decodeResponseText(bytes: Uint8Array, contentType: string | null): string {
  const buffer = Buffer.from(bytes);
  const declared = charsetOf(contentType) ?? xmlDeclaredEncoding(buffer);
  if (declared && iconv.encodingExists(declared)) return iconv.decode(buffer, declared);
  const utf8 = buffer.toString('utf8');
  return utf8.includes('\uFFFD') ? iconv.decode(buffer, 'cp932') : utf8;
}

function charsetOf(contentType: string | null): string | undefined {
  return /charset="?([\w-]+)"?/i.exec(contentType ?? '')?.[1];
}

function xmlDeclaredEncoding(buffer: Buffer): string | undefined {
  const head = buffer.subarray(0, 200).toString('latin1');
  return /^\s*<\?xml[^>]*encoding=["']([\w-]+)["']/i.exec(head)?.[1];
}
