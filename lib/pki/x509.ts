/**
 * The only door to @peculiar/x509 in this module: loads the Reflect metadata polyfill it needs first, then registers
 * Node's WebCrypto as its crypto provider once. Import `x509` from here, never from the package.
 */
// tsyringe, inside @peculiar/x509, needs the Reflect metadata API at load time.
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto);

export { x509 };
