/** SHA-256 through WebCrypto (native in workerd): the digests edge stores in place of secrets. */
import { hex, utf8 } from '@sealroom/crypto/bytes';

export async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>));
}

/** Lower-case hex SHA-256 of the UTF-8 of `text`. */
export async function sha256HexOf(text: string): Promise<string> {
  return hex(await sha256(utf8(text)));
}
