/** dynalite 4 ships no types: the part local mode uses (docs: its readme). */
declare module 'dynalite' {
  import type { Server } from 'node:http';

  type DynaliteOptions = Readonly<{
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    maxItemSizeKb?: number;
    path?: string;
    /** Serve HTTPS with `key` and `cert` (an https.Server, closed the same way). */
    ssl?: boolean;
    key?: string | Buffer;
    cert?: string | Buffer;
  }>;
  function dynalite(options?: DynaliteOptions): Server;
  export = dynalite;
}
